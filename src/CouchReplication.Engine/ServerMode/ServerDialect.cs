using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// How one kind of server's replicator is spoken to, chosen once from its welcome
/// (<see cref="ServerInfo"/>): CouchDB 2.1 and later through their scheduler
/// (<see cref="SchedulerDialect"/>), older servers and pouchdb-server through the
/// <c>_replicator</c> documents themselves (<see cref="ReplicatorDocsDialect"/>).
/// </summary>
internal abstract class ServerDialect(ServerInfo info)
{
    /// <summary>What the server is, for messages (<c>CouchDB 3.5.0</c>).</summary>
    public string Name => info.Name;

    /// <summary>Whether a cancel the server answers with ok can be believed without looking again.</summary>
    public abstract bool ConfirmsCancel { get; }

    /// <summary>How the server's replicator is described in verbose output.</summary>
    public abstract string Described { get; }

    /// <summary>The dialect of the server at <paramref name="server"/> (masked), which said <paramref name="info"/>.</summary>
    public static ServerDialect Of(ServerInfo info, string server) =>
        info.HasScheduler ? new SchedulerDialect(info) : new ReplicatorDocsDialect(info, server);

    /// <summary>What a listing of this server's replications cannot show, for the user to be told once; null when it shows everything.</summary>
    public virtual string? ListingCaveat => null;

    /// <summary>An endpoint of a request body, with its credentials in the form this server reads.</summary>
    public virtual object? Endpoint(object? endpoint) => endpoint;

    /// <summary>The server's replications: its <paramref name="active"/> tasks joined with what it says of the others.</summary>
    public abstract Task<List<CouchActiveTask>> ListAsync(CouchHttp reads, int pageSize, List<CouchActiveTask> active, bool includeInactive, CancellationToken ct);

    /// <summary>Where the state of the persistent replication of document <paramref name="docId"/> is read.</summary>
    public abstract string StatePath(string docId);

    /// <summary>Reads what <see cref="StatePath"/> answered.</summary>
    public abstract CouchActiveTask ReadState(JsonElement answer);
}

/// <summary>CouchDB 2.1 and later: <c>_scheduler/jobs</c> and <c>_scheduler/docs</c> give every job's and document's state.</summary>
internal sealed class SchedulerDialect(ServerInfo info) : ServerDialect(info)
{
    public override bool ConfirmsCancel => true;

    public override string Described => "with a replication scheduler";

    /// <summary>
    /// The scheduler's jobs and documents, joined with the <c>_replicator</c> database itself: in a
    /// cluster, the scheduler lists no job and no document for the replications of a node that has
    /// just left until another node takes them up, while <c>_all_docs</c> lists every one.
    /// </summary>
    public override async Task<List<CouchActiveTask>> ListAsync(CouchHttp reads, int pageSize, List<CouchActiveTask> active, bool includeInactive, CancellationToken ct) =>
        SchedulerJobs.Merge(active,
            await PagesAsync(reads, pageSize, "_scheduler/jobs", "jobs", SchedulerJobs.ReadJob, ct),
            await PagesAsync(reads, pageSize, "_scheduler/docs", "docs", SchedulerJobs.ReadDoc, ct),
            await ReplicatorDocs.ReadAllAsync(reads, ReplicatorDocs.Read, ct),
            includeInactive);

    public override string StatePath(string docId) => $"_scheduler/docs/{ReplicatorDocs.Database}/{DocPath.Of(docId)}";

    public override CouchActiveTask ReadState(JsonElement answer) => SchedulerJobs.ReadDoc(answer);

    /// <summary>A paged scheduler list: CouchDB returns at most 100 rows unless asked for more.</summary>
    private static async Task<List<CouchActiveTask>> PagesAsync(CouchHttp reads, int pageSize, string path, string rows,
        Func<JsonElement, CouchActiveTask> read, CancellationToken ct)
    {
        var all = new List<CouchActiveTask>();
        while (true)
        {
            using var page = await reads.GetJsonAsync($"{path}?limit={pageSize}&skip={all.Count}", ct);
            var count = all.Count;
            all.AddRange(page.RootElement.ArrayOf(rows).Select(read));
            if (all.Count - count < pageSize) return all;
        }
    }
}

/// <summary>
/// Servers without a scheduler (pouchdb-server, CouchDB 1.x): a persistent replication's state is
/// in its <c>_replicator</c> document (<c>_replication_state</c>), credentials go as user info in
/// the URL (<c>auth</c> is ignored), and a cancel answered with ok is not to be believed.
/// </summary>
internal sealed class ReplicatorDocsDialect(ServerInfo info, string server) : ServerDialect(info)
{
    public override bool ConfirmsCancel => false;

    public override string Described => "without a replication scheduler";

    public override object? Endpoint(object? endpoint) => ReplicateRequest.WithUserInfo(endpoint);

    public override string ListingCaveat =>
        $"{Name} at {server} has no _scheduler: the states of persistent replications come from their "
        + "_replicator documents (_replication_state), and replications started with _replicate are listed only "
        + "if the server shows them in _active_tasks (pouchdb-server never does).";

    public override async Task<List<CouchActiveTask>> ListAsync(CouchHttp reads, int pageSize, List<CouchActiveTask> active, bool includeInactive, CancellationToken ct) =>
        ReplicatorDocs.Merge(active, await ReplicatorDocs.ReadAllAsync(reads, ReplicatorDocs.Read, ct), includeInactive);

    public override string StatePath(string docId) => $"{ReplicatorDocs.Database}/{DocPath.Of(docId)}";

    public override CouchActiveTask ReadState(JsonElement answer) => ReplicatorDocs.Read(answer);
}
