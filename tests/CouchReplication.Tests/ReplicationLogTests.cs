using System.Text.Json;
using CouchReplication.CouchApi;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Protocol;

namespace CouchReplication.Tests;

/// <summary>How a run decides where to resume, and what a checkpoint may claim.</summary>
public sealed class ReplicationLogTests
{
    private static CouchReplicationHistoryEntry Entry(string session, string recorded) =>
        CouchReplicationHistoryEntry.Read(JsonDocument.Parse($$"""{"session_id": "{{session}}", "recorded_seq": {{recorded}}}""").RootElement)!;

    [Fact]
    public void The_same_session_on_both_sides_resumes_from_the_source_last_seq()
    {
        var source = new ReplicationLog { SessionId = "s2", SourceLastSeq = new Seq("\"9-x\""), History = [Entry("s2", "\"9-x\"")] };
        var target = new ReplicationLog { SessionId = "s2", SourceLastSeq = new Seq("\"9-x\""), History = [Entry("s2", "\"9-x\"")] };

        var (start, history) = ReplicationLogs.Compare(source, target);
        Assert.Equal(new Seq("\"9-x\""), start);
        Assert.Equal(["s2"], history.Select(h => h.SessionId));
    }

    [Fact]
    public void Different_sessions_resume_from_the_newest_session_both_histories_share()
    {
        var source = new ReplicationLog { SessionId = "s3", History = [Entry("s3", "30"), Entry("s2", "20"), Entry("s1", "10")] };
        var target = new ReplicationLog { SessionId = "s9", History = [Entry("s9", "90"), Entry("s1", "10"), Entry("s2", "20")] };

        // CouchDB walks both histories side by side; the new session continues the history older than the shared one.
        var (start, history) = ReplicationLogs.Compare(source, target);
        Assert.Equal(new Seq("20"), start);
        Assert.Equal(["s1"], history.Select(h => h.SessionId));
    }

    [Fact]
    public void No_shared_session_or_a_missing_log_starts_from_the_beginning()
    {
        var source = new ReplicationLog { SessionId = "a", History = [Entry("a", "5")] };
        var target = new ReplicationLog { SessionId = "b", History = [Entry("b", "5")] };

        Assert.Equal((null, 0), (ReplicationLogs.Compare(source, target).StartSeq, ReplicationLogs.Compare(source, target).History.Count));
        Assert.Equal((null, 0), (ReplicationLogs.Compare(source, null).StartSeq, ReplicationLogs.Compare(source, null).History.Count));
    }

    [Fact]
    public void A_session_s_counters_go_on_from_the_history_it_continues()
    {
        var stats = new ReplicationStats();
        var previous = CouchReplicationHistoryEntry.Read(JsonDocument.Parse(
            """{"session_id": "s1", "recorded_seq": 10, "missing_checked": 7, "missing_found": 6, "docs_read": 5, "docs_written": 4, "doc_write_failures": 1}""").RootElement)!;
        stats.Add(new BatchOutcome(0, 0, 0, 2, []));

        stats.RaiseTo(previous);
        stats.Add(new BatchOutcome(0, 0, 0, 3, []));

        Assert.Equal((7, 6, 5, 7, 1), (stats.RevisionsChecked, stats.MissingRevisionsFound, stats.DocsRead, stats.DocsWritten, stats.DocWriteFailures));
        Assert.Equal("0", stats.ThroughSeq.ToString());
    }

    [Fact]
    public void A_checkpoint_only_passes_batches_when_every_earlier_batch_is_written()
    {
        var endpoint = CouchEndpoint.Parse("http://127.0.0.1:1/a", "source");
        using var http = new HttpCouchDatabase(endpoint, new HttpSettings(1, TimeSpan.FromSeconds(1), 0), "source", _ => { });
        var stats = new ReplicationStats();
        var checkpointer = new Checkpointer(http, http, "id", "session", Seq.Zero, null, null, [], stats, enabled: false, _ => { });
        ChangesBatch Batch(long ordinal) => new(ordinal, [], new Seq(((ordinal + 1) * 10).ToString()));

        checkpointer.Finished(Batch(1));
        checkpointer.Finished(Batch(2));
        Assert.Equal(Seq.Zero, checkpointer.ThroughSeq);

        checkpointer.Finished(Batch(0));
        Assert.Equal(new Seq("30"), checkpointer.ThroughSeq);

        checkpointer.Finished(Batch(4));
        Assert.Equal(new Seq("30"), checkpointer.ThroughSeq);
    }
}
