using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Replicates a CouchDB database to another.</para>
/// <para type="description">Runs the replication in the module's own engine: the changes feed
/// of the source, revs_diff, bulk_get and bulk_docs with new_edits=false, checkpoints in _local
/// documents on both sides. A one-shot replication waits, shows progress, and returns a
/// CouchReplicationResult; with -NoWait, and for -Continuous, it returns a CouchReplicationTask
/// at once and runs in the background of the session (-Continuous -Wait blocks until it is
/// stopped). Ctrl+C while waiting stops it cleanly with a final checkpoint.</para>
/// <para type="description">With -Server, a server's own replicator runs it instead: a one-shot
/// replication through POST /_replicate, waited for, returns the server's answer as a
/// CouchReplicationResult; a continuous one returns a CouchActiveTask carrying the server's
/// replication id; with -Persistent the document goes into the server's _replicator database and
/// the CouchActiveTask reports the document's state. Ctrl+C while waiting cancels the
/// replication on the server.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CouchReplication", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchReplicationResult), typeof(CouchReplicationTask), typeof(CouchActiveTask))]
public sealed class StartCouchReplicationCommand : CouchCmdlet, IDynamicParameters
{
    private const string InputObjectSet = "InputObject";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly ReplicationDocParameters _document = new(credentialsAlsoIn: InputObjectSet);
    private volatile CouchReplicationTask? _waitingFor;

    /// <summary>
    /// A replication document: a CouchReplicationDoc, a hashtable, or an object with the
    /// document's fields (such as ConvertFrom-Json output).
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Return the task at once and replicate in the background of the session.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>With a continuous replication: block until it is stopped (Ctrl+C stops it).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Accept any TLS certificate from the source and target (self-signed test servers). Warns: the connection is not authenticated.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>With -Server: write the replication into the server's _replicator database, so that it outlives this session and the server's restarts.</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    /// <summary>The replication document's fields, one parameter each (see <see cref="ReplicationDocParameters"/>).</summary>
    public object GetDynamicParameters() => _document.Parameters;

    /// <summary>Starts one replication per document.</summary>
    protected override void ProcessRecord()
    {
        if (ConflictingSwitches() is { } conflict)
        {
            WriteError(PSValues.ErrorRecord(conflict, null));
            return;
        }

        CouchReplicationTask task;
        try
        {
            var doc = ParameterSetName == InputObjectSet ? _document.WithCredentials(PSValues.ToDoc(InputObject, nameof(InputObject))) : _document.BuildDoc();
            if (Server is not null)
            {
                StartOnServer(doc);
                return;
            }
            if (!ShouldProcess(doc.Target, $"Replicate from {doc.Source}")) return;
            (task, var alreadyRunning) = ReplicationRegistry.Session.StartAsync(doc, SkipCertificateCheck).GetAwaiter().GetResult();
            if (alreadyRunning) WriteWarning($"Replication {task.ReplicationId} is already running in this session; this is that task.");
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, ParameterSetName == InputObjectSet ? InputObject : _document.Typed(nameof(CouchReplicationDoc.Target))));
            return;
        }

        if (NoWait || (task.Continuous && !Wait))
        {
            WriteMessages(task);
            WriteObject(task);
            return;
        }
        _waitingFor = task;
        try
        {
            WaitFor(task);
        }
        finally
        {
            _waitingFor = null;
        }
    }

    /// <summary>
    /// Ctrl+C: the replication stops, writes its final checkpoint, and ProcessRecord returns; a
    /// server's one-shot replication is cancelled on the server.
    /// </summary>
    protected override void StopProcessing()
    {
        _waitingFor?.Stop();
        base.StopProcessing();
    }

    private CouchReplicationException? ConflictingSwitches() =>
        NoWait && Wait ? CouchReplicationException.InvalidArgument("-NoWait and -Wait", "cannot be used together")
        : Persistent && Server is null ? CouchReplicationException.InvalidArgument("-Persistent", "needs -Server: a persistent replication is run by a server's replicator")
        : Server is not null && (NoWait || Wait) ? CouchReplicationException.InvalidArgument("-NoWait and -Wait",
            "apply to replications in this session; with -Server a one-shot replication is waited for, and a continuous or -Persistent one returns at once")
        : null;

    /// <summary>Hands the document to the server's replicator.</summary>
    private void StartOnServer(CouchReplicationDoc doc) => OnServer(call =>
    {
        var kind = Persistent ? "persistent " : doc.Continuous == true ? "continuous " : "";
        if (!ShouldProcess($"{doc.Target} (by {call.Server})", $"Start {kind}replication from {doc.Source}")) return;
        WriteObject(Persistent ? call.Run((s, ct) => s.PersistAsync(doc, ct))
            : doc.Continuous == true ? call.Run((s, ct) => s.StartAsync(doc, ct))
            : call.Run((s, ct) => s.ReplicateAsync(doc, ct), new ProgressRecord(1, $"Replicating {doc.Source} to {doc.Target}", "Starting")));
    }, doc);

    private void WaitFor(CouchReplicationTask task)
    {
        var activity = $"Replicating {task.Source} to {task.Target}";
        var completion = (IAsyncResult)task.Completion;
        string status = "Starting";
        int percent = -1;
        try
        {
            while (!completion.AsyncWaitHandle.WaitOne(PollInterval))
            {
                // Once stopped, the pipeline takes no more output; the task is writing its final checkpoint.
                if (Stopping) continue;
                WriteMessages(task);
                var active = task.ToActiveTask();
                status = active.QueuePosition is { } place
                    ? $"Pending: #{place} in the queue (Get-CouchReplicationOption)"
                    : $"{active.State}: {active.DocsWritten} documents written, {active.ChangesPending?.ToString() ?? "?"} changes pending";
                percent = active.Progress ?? -1;
                // A new record each time: a host may keep every record it is given.
                WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = percent });
            }
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C while writing: return only once the final checkpoint is written, so a rerun resumes there.
            completion.AsyncWaitHandle.WaitOne();
            throw;
        }
        if (Stopping) return;
        WriteMessages(task);
        WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = percent, RecordType = ProgressRecordType.Completed });

        if (task.Completion.IsCompletedSuccessfully) WriteObject(task.Completion.Result);
        else if (task.State == CouchReplicationState.Stopped) WriteObject(task);
        else if (task.Error is { } error) WriteError(PSValues.ErrorRecord(error, task.Target));
    }

    private void WriteMessages(CouchReplicationTask task) => Messages.Write(this, task.TryTakeMessage);
}
