using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// What a server answers to <c>POST /_replicate</c>. CouchDB answers a one-shot replication with
/// its replication log (<c>session_id</c>, <c>source_last_seq</c>, <c>history</c>, and
/// <c>no_changes</c> when there was nothing to do), a continuous one or a cancel with the
/// replication id as <c>_local_id</c>. pouchdb-server answers a one-shot replication with this
/// run's counters and <c>last_seq</c>, and anything else with a bare <c>{"ok": true}</c>.
/// </summary>
internal static class ReplicateAnswer
{
    public static CouchReplicationResult ToResult(JsonElement answer, ReplicateRequest request)
    {
        var history = answer.ArrayOf("history").Select(CouchReplicationHistoryEntry.Read).OfType<CouchReplicationHistoryEntry>().ToList();
        var hasLog = answer.StringOf("session_id") is not null;
        if (!hasLog && answer.Field("docs_written") is not null)
        {
            // No replication log: this run's counters are the answer itself.
            var run = CouchReplicationHistoryEntry.Read(answer, sessionId: "");
            if (answer.Field("last_seq") is { } last) run.EndSeq = run.Recorded = Seq.From(last);
            history.Insert(0, run);
        }
        var noChanges = answer.BoolOf("no_changes") ?? (!hasLog && answer.LongOf("docs_read") == 0);
        // CouchDB 3's history holds totals since the replication began; this run's share is the
        // newest entry less the one it started from. A run with no changes has no entry of its own.
        var thisRun = noChanges || history.Count == 0 ? null : history[0];
        var before = hasLog && history.Count > 1 ? history[1] : null;
        long Share(Func<CouchReplicationHistoryEntry, long> counter) => thisRun is null ? 0 : counter(thisRun) - (before is null ? 0 : counter(before));
        return new CouchReplicationResult
        {
            Ok = answer.BoolOf("ok") == true,
            SessionId = answer.StringOf("session_id") ?? "",
            SourceLastSeq = answer.SeqOf("source_last_seq") ?? answer.SeqOf("last_seq") ?? "",
            NoChanges = noChanges,
            DocsRead = Share(h => h.DocsRead),
            DocsWritten = Share(h => h.DocsWritten),
            DocWriteFailures = Share(h => h.DocWriteFailures),
            Source = request.Source,
            Target = request.Target,
            History = [.. history],
        };
    }

    /// <summary>The replication id the server names, or null when it names none (pouchdb-server).</summary>
    public static string? LocalId(JsonElement answer) => answer.StringOf("_local_id");
}
