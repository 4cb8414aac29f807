using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Gets the replications of this session, as _active_tasks shows them.</para>
/// <para type="description">Returns a CouchActiveTask for every replication started in this
/// session that is still running (with -All, the finished ones too, with their final counters and
/// error). Properties mirror the _active_tasks fields: DocsRead, DocsWritten, ChangesPending,
/// CheckpointedSourceSeq, State, Error, ...</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CouchActiveTask")]
[OutputType(typeof(CouchActiveTask))]
public sealed class GetCouchActiveTaskCommand : PSCmdlet
{
    /// <summary>Task ids (or bare replication ids) to get; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? ReplicationId { get; set; }

    /// <summary>Task types to get (replications are of type <c>replication</c>).</summary>
    [Parameter]
    public string[]? Type { get; set; }

    /// <summary>Include finished replications (completed, failed, stopped).</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>Writes the matching tasks; an exact id that matches nothing is an error.</summary>
    protected override void ProcessRecord()
    {
        var tasks = ReplicationRegistry.Session.Tasks(All).Select(t => t.ToActiveTask())
            .Where(t => Type is null || Type.Any(type => new WildcardPattern(type, WildcardOptions.IgnoreCase).IsMatch(t.Type)))
            .ToList();
        if (ReplicationId is null)
        {
            WriteObject(tasks, enumerateCollection: true);
            return;
        }
        foreach (var id in ReplicationId)
        {
            var matches = TaskIds.Matching(tasks, id, t => t.ReplicationId ?? "");
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(id))
                WriteError(TaskIds.NotFound(id));
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
