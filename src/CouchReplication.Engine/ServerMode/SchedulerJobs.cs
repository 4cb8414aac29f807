using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// CouchDB's replication scheduler as <c>_scheduler/jobs</c> (every replication job: running,
/// pending or crashing, transient or from a <c>_replicator</c> document) and
/// <c>_scheduler/docs</c> (every <c>_replicator</c> document, with its state) show it, merged
/// with <c>_active_tasks</c>, which has the freshest counters of the running ones and the other
/// task types.
/// </summary>
internal static class SchedulerJobs
{
    private static readonly HashSet<string> JobFields = ["id", "database", "doc_id", "source", "target", "user", "info", "start_time"];

    private static readonly HashSet<string> DocFields = [.. JobFields, "state", "last_updated"];

    /// <summary>A job; its state is in its event history, newest first: started, crashed (with the reason), added or stopped.</summary>
    public static CouchActiveTask ReadJob(JsonElement job)
    {
        var last = job.ArrayOf("history").FirstOrDefault();
        var (state, error) = last.StringOf("type") switch
        {
            "started" => (CouchReplicationState.Running, null),
            "crashed" => (CouchReplicationState.Crashing, last.StringOf("reason")),
            // Added and not started yet, or stopped by the scheduler to give others a turn.
            _ => (CouchReplicationState.Pending, (string?)null),
        };
        return Read(job, state, error, last.TimeOf("timestamp"), JobFields);
    }

    /// <summary>
    /// A <c>_replicator</c> document's state: initializing, pending, running, crashing, completed,
    /// failed or error; none (null) for a document the replicator has not taken up yet.
    /// </summary>
    public static CouchActiveTask ReadDoc(JsonElement doc)
    {
        var state = Enum.TryParse<CouchReplicationState>(doc.StringOf("state"), ignoreCase: true, out var s) ? s : CouchReplicationState.Initializing;
        return Read(doc, state, doc.Field("info")?.StringOf("error"), doc.TimeOf("last_updated"), DocFields);
    }

    /// <summary>
    /// Every task the server is working on: <c>_active_tasks</c> with states and errors from the
    /// scheduler, and the jobs it has not started or that crashed. With
    /// <paramref name="includeInactive"/>, also the <c>_replicator</c> documents with no job:
    /// completed, failed, or in error.
    /// </summary>
    public static List<CouchActiveTask> Merge(IEnumerable<CouchActiveTask> active, IReadOnlyList<CouchActiveTask> jobs,
        IReadOnlyList<CouchActiveTask> docs, bool includeInactive)
    {
        var jobsById = jobs.Where(j => j.ReplicationId is not null).GroupBy(j => j.ReplicationId!).ToDictionary(g => g.Key, g => g.First());
        var docsByKey = docs.Where(d => d.DocId is not null).GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        CouchActiveTask? DocOf(CouchActiveTask task) => task.DocId is null ? null : docsByKey.GetValueOrDefault(Key(task));

        var tasks = new List<CouchActiveTask>();
        foreach (var task in active)
        {
            if (task.Type != "replication" || task.ReplicationId is null)
            {
                tasks.Add(task);
                continue;
            }
            var job = jobsById.GetValueOrDefault(task.ReplicationId);
            var known = job ?? task;
            var doc = DocOf(known);
            tasks.Add(task with
            {
                State = doc?.State ?? job?.State ?? task.State,
                Error = doc?.Error ?? job?.Error,
                DocId = known.DocId,
                Database = known.Database,
                AdditionalFields = Union(task.AdditionalFields, job?.AdditionalFields, doc?.AdditionalFields),
            });
        }
        var listed = tasks.Select(t => t.ReplicationId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var job in jobs.Where(j => j.ReplicationId is null || !listed.Contains(j.ReplicationId)))
        {
            var doc = DocOf(job);
            tasks.Add(doc is null ? job : job with
            {
                State = doc.State,
                Error = doc.Error ?? job.Error,
                AdditionalFields = Union(job.AdditionalFields, doc.AdditionalFields),
            });
        }
        if (includeInactive)
        {
            var documented = tasks.Where(t => t.DocId is not null).Select(Key).ToHashSet();
            tasks.AddRange(docs.Where(d => d.DocId is null || !documented.Contains(Key(d))));
        }
        return tasks;
    }

    /// <summary>A job or document; its counters are in its <c>info</c> (or, in trouble, just an <c>error</c>).</summary>
    private static CouchActiveTask Read(JsonElement e, CouchReplicationState state, string? error, DateTimeOffset? updatedOn, IReadOnlySet<string> mapped)
    {
        var id = e.StringOf("id");
        return ActiveTaskJson.Counters(e.Field("info") ?? default) with
        {
            ReplicationId = id,
            State = state,
            Error = ActiveTaskJson.Masked(error),
            Source = ActiveTaskJson.Masked(e.StringOf("source")),
            Target = ActiveTaskJson.Masked(e.StringOf("target")),
            Continuous = ActiveTaskJson.IsContinuous(id),
            StartedOn = e.TimeOf("start_time"),
            UpdatedOn = updatedOn,
            User = e.StringOf("user"),
            DocId = e.StringOf("doc_id"),
            Database = e.StringOf("database"),
            AdditionalFields = ActiveTaskJson.Extras(e, mapped),
        };
    }

    private static (string?, string?) Key(CouchActiveTask task) => (task.Database, task.DocId);

    private static IReadOnlyDictionary<string, object?> Union(params IReadOnlyDictionary<string, object?>?[] sources)
    {
        var union = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var source in sources)
            foreach (var (name, value) in source ?? new Dictionary<string, object?>())
                union.TryAdd(name, value);
        return union;
    }
}
