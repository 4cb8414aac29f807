using System.Net;
using CouchReplication.Document;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>One-shot replication end to end against a real server: the revision trees must match exactly.</summary>
public abstract class OneShotReplicationTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    protected override TimeSpan Limit => TimeSpan.FromMinutes(3);

    protected override ReplicationRegistry Registry => ReplicationRegistry.Session;

    private static async Task<CouchReplicationTask> StartAsync(CouchReplicationDoc doc) =>
        (await ReplicationRegistry.Session.StartAsync(doc)).Task;

    private async Task<(string Db, string Url)> SeededSourceAsync()
    {
        var db = await NewDbAsync("source");
        await TestData.SeedEverythingAsync(Client, db);
        return (db, Url(db));
    }

    [ServerFact]
    public async Task Every_revision_tree_arrives_identical_and_local_docs_stay_home()
    {
        var (sourceDb, source) = await SeededSourceAsync();
        var targetDb = CouchServer.NewDbName("target");

        var result = await ReplicateAsync(new CouchReplicationDoc { Source = source, Target = Url(targetDb), CreateTarget = true });

        Assert.True(result.Ok);
        Assert.False(result.NoChanges);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync($"{targetDb}/_local/stay-home"));
        Assert.Equal(0, result.DocWriteFailures);
        // Three leaves of "conflicted" plus one revision of every other document.
        var ids = await Client.AllIdsAsync(sourceDb);
        Assert.Equal(ids.Count + 2, result.DocsWritten);
    }

    [ServerFact]
    public async Task Documents_read_one_by_one_with_open_revs_arrive_identical()
    {
        var (sourceDb, source) = await SeededSourceAsync();
        var targetDb = CouchServer.NewDbName("target");
        var doc = new CouchReplicationDoc { Source = source, Target = Url(targetDb), CreateTarget = true };

        var settings = ReplicationSettings.From(doc) with { UseBulkGet = false };
        var result = await ReplicateAsync(settings);

        Assert.True(result.Ok);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
    }

    [ServerFact]
    public async Task A_second_run_transfers_nothing()
    {
        var (_, source) = await SeededSourceAsync();
        var doc = new CouchReplicationDoc { Source = source, Target = Server.NewDbUrl("target"), CreateTarget = true };
        var first = await ReplicateAsync(doc);

        var second = await ReplicateAsync(doc);

        Assert.True(second.NoChanges);
        Assert.Equal(0, second.DocsRead);
        Assert.Equal(0, second.DocsWritten);
        Assert.Equal(first.ReplicationId, second.ReplicationId);
        Assert.Equal(first.SourceLastSeq, second.SourceLastSeq);
        Assert.Equal(first.SourceLastSeq, second.History[0].StartLastSeq);
    }

    [ServerFact]
    public async Task Checkpoints_are_replication_logs_in_couchdb_shape_on_both_sides()
    {
        var (sourceDb, source) = await SeededSourceAsync();
        var targetDb = CouchServer.NewDbName("target");
        var result = await ReplicateAsync(new CouchReplicationDoc { Source = source, Target = Url(targetDb), CreateTarget = true });

        foreach (var db in new[] { sourceDb, targetDb })
        {
            using var log = await Client.GetJsonAsync($"{db}/_local/{result.ReplicationId}");
            var root = log.RootElement;
            Assert.Equal(result.SessionId, root.GetProperty("session_id").GetString());
            Assert.Equal(result.SourceLastSeq, root.GetProperty("source_last_seq").ToString());
            Assert.Equal(4, root.GetProperty("replication_id_version").GetInt32());
            var entry = root.GetProperty("history")[0];
            Assert.Equal(result.SessionId, entry.GetProperty("session_id").GetString());
            Assert.Equal(result.DocsWritten, entry.GetProperty("docs_written").GetInt64());
            foreach (var field in new[] { "start_time", "end_time", "start_last_seq", "end_last_seq", "recorded_seq", "missing_checked", "missing_found", "docs_read", "doc_write_failures" })
                Assert.True(entry.TryGetProperty(field, out _), $"history entry lacks {field}");
        }
    }

    [ServerFact(CouchDbOnly = "opaque string sequences (pouchdb-server numbers its changes)")]
    public async Task Opaque_string_sequences_are_kept_as_json_strings()
    {
        var (sourceDb, source) = await SeededSourceAsync();
        var result = await ReplicateAsync(new CouchReplicationDoc { Source = source, Target = Server.NewDbUrl("target"), CreateTarget = true });

        using var log = await Client.GetJsonAsync($"{sourceDb}/_local/{result.ReplicationId}");
        var seq = log.RootElement.GetProperty("source_last_seq");
        Assert.Equal(System.Text.Json.JsonValueKind.String, seq.ValueKind);
        Assert.Equal(seq.GetString(), result.SourceLastSeq);
        Assert.Matches("^[0-9]+-", result.SourceLastSeq);
    }

    [ServerFact]
    public async Task A_run_stopped_half_way_resumes_and_transfers_only_the_rest()
    {
        const int total = 2000;
        var sourceDb = await NewDbAsync("source", Enumerable.Range(0, total).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D5}", ["n"] = i }));
        var targetDb = CouchServer.NewDbName("target");
        var doc = Doc(sourceDb, targetDb, d => { d.WorkerProcesses = 1; d.WorkerBatchSize = 10; });

        var job = await StartAsync(doc);
        var deadline = DateTime.UtcNow + Limit;
        while (job.ToActiveTask().DocsWritten < 200 && !job.Completion.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(1);
        job.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.GetResultAsync().WaitAsync(Limit));
        var stopped = job.ToActiveTask();
        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.InRange(stopped.DocsWritten, 200, total - 1);
        Assert.NotEqual("0", stopped.CheckpointedSourceSeq);

        var resumed = await ReplicateAsync(doc);

        Assert.Equal(stopped.CheckpointedSourceSeq, resumed.History[0].StartLastSeq);
        // A batch whose write reached the server as the stop cut its answer off is on the target but
        // was not counted: the second run owes at most the rest, and at least the rest less that batch.
        Assert.InRange(resumed.DocsWritten, total - stopped.DocsWritten - doc.WorkerBatchSize!.Value, total - stopped.DocsWritten);
        Assert.True(resumed.DocsRead < total);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
    }

    [ServerFact]
    public async Task A_target_that_has_some_revisions_receives_only_the_missing_ones()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = await NewDbAsync("target");
        string R(int g, int i) => TestData.Rev(g, $"doc-{i}-{g}");
        await Client.BulkDocsAsync(sourceDb, Enumerable.Range(0, 50).Select(i => (object)TestData.Revision($"doc-{i:D2}", [R(2, i), R(1, i)])), newEdits: false);
        // The target already has 20 documents whole and 10 at their first revision only.
        await Client.BulkDocsAsync(targetDb, Enumerable.Range(0, 20).Select(i => (object)TestData.Revision($"doc-{i:D2}", [R(2, i), R(1, i)])), newEdits: false);
        await Client.BulkDocsAsync(targetDb, Enumerable.Range(20, 10).Select(i => (object)TestData.Revision($"doc-{i:D2}", [R(1, i)])), newEdits: false);

        var result = await ReplicateAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb) });

        Assert.Equal(50, result.History[0].MissingChecked);
        Assert.Equal(30, result.History[0].MissingFound);
        Assert.Equal(30, result.DocsWritten);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
    }

    [ServerFact]
    public async Task Without_checkpoints_no_replication_log_is_written_anywhere()
    {
        var (sourceDb, source) = await SeededSourceAsync();
        var targetDb = CouchServer.NewDbName("target");

        var result = await ReplicateAsync(new CouchReplicationDoc { Source = source, Target = Url(targetDb), CreateTarget = true, UseCheckpoints = false });

        Assert.True(result.DocsWritten > 0);
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync($"{sourceDb}/_local/{result.ReplicationId}"));
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync($"{targetDb}/_local/{result.ReplicationId}"));
        Assert.Single(result.History);
    }

    [ServerFact]
    public async Task A_wrong_password_fails_as_unauthorized_and_creates_nothing()
    {
        var (_, source) = await SeededSourceAsync();
        var wrong = new UriBuilder(source) { Password = "not-the-password" }.Uri.AbsoluteUri;
        var targetDb = CouchServer.NewDbName("target");

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            ReplicateAsync(new CouchReplicationDoc { Source = wrong, Target = Url(targetDb), CreateTarget = true }));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.Equal("CouchReplication.Unauthorized", error.ErrorId);
        Assert.DoesNotContain("not-the-password", error.Message);
        Assert.DoesNotContain(CouchServer.AdminPassword, error.ToString());
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));
    }

    [ServerFact]
    public async Task Missing_databases_are_named_in_a_DbNotFound_error()
    {
        var (_, source) = await SeededSourceAsync();
        var missingSource = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            ReplicateAsync(new CouchReplicationDoc { Source = Server.NewDbUrl("absent"), Target = Server.NewDbUrl("target"), CreateTarget = true }));
        var missingTarget = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            ReplicateAsync(new CouchReplicationDoc { Source = source, Target = Server.NewDbUrl("absent") }));

        Assert.Equal(CouchErrorKind.DbNotFound, missingSource.Kind);
        Assert.Contains("source database", missingSource.Message);
        Assert.Equal(CouchErrorKind.DbNotFound, missingTarget.Kind);
        Assert.Contains("target database", missingTarget.Message);
        Assert.Contains("create_target", missingTarget.Message);
    }
}

public sealed class OneShotReplicationOnPouchDb(PouchDbServer server) : OneShotReplicationTests<PouchDbServer>(server);

public sealed class OneShotReplicationOnCouchDb(CouchDbServer server) : OneShotReplicationTests<CouchDbServer>(server);

public sealed class OneShotReplicationOnExternalServer(ExternalServer server) : OneShotReplicationTests<ExternalServer>(server);
