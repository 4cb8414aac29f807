using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Stops replications running in this session.</para>
/// <para type="description">Stops replications by task id (wildcards allowed), from task
/// objects in the pipeline (Get-CouchActiveTask | Stop-CouchReplication), or given the same
/// replication document that started them, as CouchDB cancels a replication given its document.
/// A stopped replication writes a final checkpoint and shows the state Stopped.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CouchReplication", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchActiveTask))]
public sealed class StopCouchReplicationCommand : PSCmdlet
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    /// <summary>How long to wait for a stopped replication's final checkpoint.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(60);

    /// <summary>Task ids (or bare replication ids) to stop; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    public string[] ReplicationId { get; set; } = [];

    /// <summary>A CouchReplicationTask or CouchActiveTask, or the replication document that started the replication.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Write the stopped tasks.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Stops each matching task and waits for its final checkpoint.</summary>
    protected override void ProcessRecord()
    {
        string[] ids;
        try
        {
            ids = ParameterSetName == IdSet ? ReplicationId : [IdOf(InputObject)];
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, InputObject));
            return;
        }

        foreach (var id in ids)
        {
            var running = TaskIds.Matching(ReplicationRegistry.Session.Tasks(includeFinished: false), id, t => t.ReplicationId);
            if (running.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(id))
                WriteError(TaskIds.NotFound(id));
            foreach (var task in running)
            {
                if (!ShouldProcess(task.ReplicationId, "Stop replication")) continue;
                task.Stop();
                ((IAsyncResult)task.Completion).AsyncWaitHandle.WaitOne(StopWait);
                WriteVerbose($"Replication {task.ReplicationId} is {task.State}; checkpointed at {task.ToActiveTask().CheckpointedSourceSeq}");
                if (PassThru) WriteObject(task.ToActiveTask());
            }
        }
    }

    private static string IdOf(object input) => PSValues.ToPlain(input) switch
    {
        string id => id,
        CouchReplicationTask task => task.ReplicationId,
        CouchActiveTask active => active.ReplicationId ?? "",
        var doc => ReplicationRegistry.Session.TaskIdOfAsync(PSValues.ToDoc(doc!, nameof(InputObject))).GetAwaiter().GetResult(),
    };
}
