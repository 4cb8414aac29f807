using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Stops replications running in this session or on a server.</para>
/// <para type="description">Stops replications by task id (wildcards allowed), from task
/// objects in the pipeline (Get-CouchActiveTask | Stop-CouchReplication), or given the same
/// replication document that started them, as CouchDB cancels a replication given its document.
/// A stopped replication writes a final checkpoint and shows the state Stopped.</para>
/// <para type="description">With -Server, stops the server's replications: a transient one is
/// cancelled (POST /_replicate with its replication id and cancel: true, or, given the document
/// that started it, the same document with cancel: true); a persistent one is stopped by deleting
/// its _replicator document, found by its document id or replication id, or given the
/// document Get-CouchReplicationDoc read back. A task read with -Server remembers its server and
/// credential, so piping it needs no -Server. A server that cannot
/// show that its cancel worked (pouchdb-server) gives a CouchReplication.NotSupported error instead
/// of a success.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CouchReplication", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchActiveTask))]
public sealed class StopCouchReplicationCommand : CouchCmdlet
{
    private const string IdSet = "Id";
    private const string InputObjectSet = "InputObject";

    /// <summary>How long to wait for a stopped replication's final checkpoint.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(60);

    /// <summary>Task ids (or bare replication ids; on a server, _replicator document ids too) to stop; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ReplicationIdCompleter))]
    public string[] ReplicationId { get; set; } = [];

    /// <summary>A CouchReplicationTask or CouchActiveTask, or the replication document that started the replication.</summary>
    /// <remarks>Not mandatory: called with nothing at all, the cmdlet says what to give instead of prompting for an object.</remarks>
    [Parameter(ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object? InputObject { get; set; }

    /// <summary>Write the stopped tasks.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Stops each matching task and waits for its final checkpoint.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet && InputObject is null)
        {
            WriteError(PSValues.ErrorRecord(CouchReplicationException.InvalidArgument("ReplicationId",
                "nothing to stop: give -ReplicationId (Get-CouchActiveTask lists the ids) or pipe tasks from Get-CouchActiveTask"), null));
            return;
        }
        // A task read with -Server remembers its server (and credential): piping it is enough.
        var origin = Server is null && ParameterSetName == InputObjectSet && PSValues.ToPlain(InputObject) is CouchActiveTask task
            ? ServerCall.OriginOf(task)
            : null;
        if (Server is null && origin is null) StopInSession();
        else StopOnServer(origin);
    }

    private void StopInSession()
    {
        string[] ids;
        try
        {
            ids = ParameterSetName == IdSet ? ReplicationId : [IdOf(InputObject!)];
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
                if (!ShouldProcess($"{task.Source} -> {task.Target} ({task.ReplicationId})", "Stop replication")) continue;
                task.Stop();
                ((IAsyncResult)task.Completion).AsyncWaitHandle.WaitOne(StopWait);
                Messages.Verbose(this, $"Replication {task.ReplicationId} is {task.State}; checkpointed at {task.ToActiveTask().CheckpointedSourceSeq}");
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

    private void StopOnServer(ServerCall.Origin? origin) => OnServer(call =>
    {
        switch (ParameterSetName == IdSet ? ReplicationId : PSValues.ToPlain(InputObject))
        {
            case string[] ids:
                StopByIds(call, ids);
                break;
            case string id:
                StopByIds(call, [id]);
                break;
            case CouchReplicationTask task:
                StopByIds(call, [task.ReplicationId]);
                break;
            case CouchActiveTask task:
                Stop(call, task);
                break;
            case CouchReplicationDoc { State: not null, Id: { Length: > 0 } id }:
                // Read back from the server (Get-CouchReplicationDoc): a persistent replication, stopped by deleting its document.
                StopByIds(call, [id]);
                break;
            case var input:
                var doc = PSValues.ToDoc(input!, nameof(InputObject));
                if (!ShouldProcess($"{doc} (on {call.Server})", "Stop the replication of this document")) return;
                Stopped(call, call.Run((s, ct) => s.StopAsync(doc, ct)));
                break;
        }
    }, ParameterSetName == IdSet ? ReplicationId : InputObject, origin);

    /// <summary>Finds the server's replications by replication id or _replicator document id, finished persistent ones included.</summary>
    private void StopByIds(ServerCall call, string[] ids)
    {
        var replications = call.Run((s, ct) => s.ActiveTasksAsync(includeInactive: true, ct)).Where(t => t.Type == "replication").ToList();
        foreach (var id in ids)
        {
            var matches = TaskIds.Matching(replications, id, t => t.ReplicationId, t => t.DocId);
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(id))
                WriteError(TaskIds.NotFound(id, call.Server));
            foreach (var task in matches) Stop(call, task);
        }
    }

    /// <summary>Stops one server task; a failure is written and the next one is tried.</summary>
    private void Stop(ServerCall call, CouchActiveTask task)
    {
        var action = task.DocId is null ? "Cancel replication" : $"Delete replication document {task.Database}/{task.DocId}";
        if (!ShouldProcess($"{task.Source} -> {task.Target} ({task.ReplicationId ?? task.DocId} on {call.Server})", action)) return;
        try
        {
            Stopped(call, call.Run((s, ct) => s.StopAsync(task, ct)));
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, task));
        }
    }

    private void Stopped(ServerCall call, CouchActiveTask task)
    {
        Messages.Verbose(this, $"Replication {task.ReplicationId ?? task.DocId} is {task.State}");
        if (PassThru) WriteObject(ServerCall.Shown(call.Tagged(task)));
    }
}
