using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Gets the replications of this session, or a server's active tasks, as _active_tasks shows them.</para>
/// <para type="description">Returns a CouchActiveTask for every replication started in this
/// session that is still running (with -All, the finished ones too, with their final counters and
/// error). Properties mirror the _active_tasks fields: DocsRead, DocsWritten, ChangesPending,
/// CheckpointedSourceSeq, State, Error, ...</para>
/// <para type="description">With -Server, returns that server's /_active_tasks, of every type
/// (replication, indexer, database_compaction ...; fields without a property are in
/// AdditionalFields), the replication jobs it has not started or that crashed, and every
/// document of its _replicator database, with a job or not (Pending while it has none). Where
/// the server has _scheduler/jobs and _scheduler/docs, State and Error come from there; with
/// -All, the persistent replications that are done (completed, failed, error) are listed too.
/// Each replication is listed once, its DocId and the Node that runs it in the table.</para>
/// <para type="description">On a CouchDB cluster, any node answers for the whole cluster. While a
/// node leaves or rejoins, a replication may have no job (it is listed Pending, without a Node,
/// until another node takes it up) or a job on two nodes (it is listed once, with the running
/// job's State, Error and Node; Nodes names them all).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CouchActiveTask")]
[OutputType(typeof(CouchActiveTask))]
public sealed class GetCouchActiveTaskCommand : CouchCmdlet
{
    /// <summary>Task ids (or bare replication ids; on a server, _replicator document ids too) to get; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ReplicationIdCompleter))]
    public string[]? ReplicationId { get; set; }

    /// <summary>Task types to get (replications are of type <c>replication</c>); wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string[]? Type { get; set; }

    /// <summary>Include finished replications (completed, failed, stopped); on a server, persistent replications that are not running.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>Writes the matching tasks; an exact id that matches nothing is an error.</summary>
    protected override void ProcessRecord()
    {
        if (Tasks() is not { } all) return;
        var tasks = all.Where(t => Type is null || Type.Any(type => new WildcardPattern(type, WildcardOptions.IgnoreCase).IsMatch(t.Type))).ToList();
        if (ReplicationId is null)
        {
            Write(tasks);
            return;
        }
        foreach (var id in ReplicationId)
        {
            var matches = Server is null
                ? TaskIds.Matching(tasks, id, t => t.ReplicationId)
                : TaskIds.Matching(tasks, id, t => t.ReplicationId, t => t.DocId);
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(id))
                WriteError(Server is null ? TaskIds.NotFound(id) : TaskIds.NotFound(id, ServerCall.Masked(Server)));
            Write(matches);
        }
    }

    /// <summary>Writes tasks, a server's in the server tasks' table.</summary>
    private void Write(IEnumerable<CouchActiveTask> tasks) =>
        WriteObject(Server is null ? tasks : tasks.Select(ServerCall.Shown), enumerateCollection: true);

    /// <summary>This session's tasks, or the server's; null when the server failed (the error is written).</summary>
    private IReadOnlyList<CouchActiveTask>? Tasks()
    {
        if (Server is null) return ReplicationRegistry.Session.Tasks(All).Select(t => t.ToActiveTask()).ToList();
        IReadOnlyList<CouchActiveTask>? tasks = null;
        OnServer(call => tasks = call.Run((s, ct) => s.ActiveTasksAsync(All, ct)).Select(call.Tagged).ToList(), ServerCall.Masked(Server));
        return tasks;
    }
}
