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
    private static readonly HashSet<string> JobFields = ["id", "database", "doc_id", "source", "target", "user", "info", "start_time", "node"];

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
    /// Every task the server is working on, one per replication: <c>_active_tasks</c> with states
    /// and errors from the scheduler, the jobs it has not started or that crashed, and every
    /// document of the <c>_replicator</c> database (<paramref name="stored"/>), job or not: in a
    /// cluster, the documents of a node that has just left have no job anywhere until another
    /// node takes them up, and are still replications the user has. A document without a job has
    /// the state <c>_scheduler/docs</c> gives it, or Pending where it gives none. With
    /// <paramref name="includeInactive"/>, also the inactive ones: completed, failed or in error.
    /// </summary>
    public static List<CouchActiveTask> Merge(IEnumerable<CouchActiveTask> active, IReadOnlyList<CouchActiveTask> jobs,
        IReadOnlyList<CouchActiveTask> docs, IReadOnlyList<CouchActiveTask> stored, bool includeInactive)
    {
        // For a while after a node leaves or rejoins a cluster, several nodes list a job (or a
        // document) for the same replication: the running one tells, the task names them all.
        var jobsById = jobs.Where(j => j.ReplicationId is not null).GroupBy(j => j.ReplicationId!)
            .ToDictionary(g => g.Key, g => RunningOf(g) with { Nodes = g.Select(j => j.Node).OfType<string>().Distinct().Order().ToList() });
        var docsByKey = docs.Where(d => d.DocId is not null).GroupBy(Key).ToDictionary(g => g.Key, RunningOf);
        CouchActiveTask? DocOf(CouchActiveTask task) => task.DocId is null ? null : docsByKey.GetValueOrDefault(Key(task));

        var tasks = new List<CouchActiveTask>();
        foreach (var task in OnePerReplication(active, jobsById))
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
                Node = task.Node ?? job?.Node,
                Nodes = job?.Nodes ?? [],
                AdditionalFields = Union(task.AdditionalFields, job?.AdditionalFields, doc?.AdditionalFields),
            });
        }
        var listed = tasks.Select(t => t.ReplicationId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var job in jobsById.Values.Where(j => !listed.Contains(j.ReplicationId!)).Concat(jobs.Where(j => j.ReplicationId is null)))
        {
            var doc = DocOf(job);
            tasks.Add(doc is null ? job : job with
            {
                State = doc.State,
                Error = doc.Error ?? job.Error,
                AdditionalFields = Union(job.AdditionalFields, doc.AdditionalFields),
            });
        }
        var documented = tasks.Where(t => t.DocId is not null).Select(Key).ToHashSet();
        var jobless = docsByKey.Values.Concat(stored.Select(d => IsInactive(d.State) ? d : d with { State = CouchReplicationState.Pending }));
        foreach (var doc in jobless)
        {
            if (!documented.Add(Key(doc))) continue;
            if (includeInactive || !IsInactive(doc.State)) tasks.Add(doc);
        }
        return tasks;
    }

    /// <summary>A document the replicator is done with: completed, failed, or in error (it could not be made a job).</summary>
    private static bool IsInactive(CouchReplicationState state) =>
        state is CouchReplicationState.Completed or CouchReplicationState.Failed or CouchReplicationState.Error;

    /// <summary>The running one of a replication's jobs or documents, else the first.</summary>
    private static CouchActiveTask RunningOf(IEnumerable<CouchActiveTask> copies) =>
        copies.OrderByDescending(c => c.State == CouchReplicationState.Running).First();

    /// <summary>
    /// <c>_active_tasks</c> with each replication once: where two nodes run it for a moment, the
    /// one on the node its scheduler job names.
    /// </summary>
    private static IEnumerable<CouchActiveTask> OnePerReplication(IEnumerable<CouchActiveTask> active, IReadOnlyDictionary<string, CouchActiveTask> jobsById)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tasks = active.ToList();
        foreach (var task in tasks)
        {
            if (task.Type != "replication" || task.ReplicationId is not { } id)
            {
                yield return task;
                continue;
            }
            if (!seen.Add(id)) continue;
            var node = jobsById.GetValueOrDefault(id)?.Node;
            yield return tasks.FirstOrDefault(t => t.ReplicationId == id && node is not null && t.Node == node) ?? task;
        }
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
            Node = e.StringOf("node"),
            DocId = e.StringOf("doc_id"),
            Database = ActiveTaskJson.DatabaseName(e.StringOf("database")),
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
