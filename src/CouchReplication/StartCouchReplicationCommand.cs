using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Replicates a CouchDB database to another.</para>
/// <para type="description">Runs the replication in the module's own engine: the changes feed
/// of the source, revs_diff, bulk_get and bulk_docs with new_edits=false, checkpoints in _local
/// documents on both sides. A one-shot replication waits, shows progress, and returns a
/// CouchReplicationResult; with -NoWait, and for -Continuous, it returns a CouchReplicationTask
/// at once and runs in the background of the session (-Continuous -Wait blocks until it is
/// stopped); with -AsJob it returns a job for Wait-Job, Receive-Job and Stop-Job. A replication
/// sent to the background first checks that both databases answer and take the credentials, so
/// those mistakes are errors of this command. Ctrl+C while waiting stops it cleanly with a final
/// checkpoint, and says where: running the same command again resumes there.</para>
/// <para type="description">With -Server, a server's own replicator runs it instead: a one-shot
/// replication through POST /_replicate, waited for, returns the server's answer as a
/// CouchReplicationResult; a continuous one returns a CouchActiveTask carrying the server's
/// replication id; with -Persistent the document goes into the server's _replicator database and
/// the CouchActiveTask, returned at once, carries its DocId and the state the server gives it then
/// (Pending until the replicator has taken it up: it does not wait for a job, which a cluster may
/// take a minute to give while a node leaves or rejoins). To wait until it runs, poll
/// Get-CouchActiveTask -Server ... -ReplicationId &lt;DocId&gt; until its State is Running. Ctrl+C
/// while waiting cancels the replication on the server.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CouchReplication", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchReplicationResult), typeof(CouchReplicationTask), typeof(CouchReplicationJob), typeof(CouchActiveTask))]
public sealed class StartCouchReplicationCommand : CouchCmdlet, IDynamicParameters
{
    private const string InputObjectSet = "InputObject";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly ReplicationDocParameters _document = new(credentialsAlsoIn: InputObjectSet);
    private readonly CancellationTokenSource _stopping = new();
    private volatile CouchReplicationTask? _waitingFor;

    /// <summary>
    /// A replication document: a CouchReplicationDoc, a hashtable, or an object with the
    /// document's fields (such as ConvertFrom-Json output).
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>
    /// Return the task at once and replicate in the background of the session (both ends are
    /// checked first). Get-CouchActiveTask follows it; -AsJob gives a job to wait for instead.
    /// </summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>
    /// Return a PowerShell job at once and replicate in the background of the session (both ends
    /// are checked first): Wait-Job waits for it, Receive-Job gives the CouchReplicationResult,
    /// the warnings and the error of a failed run, Stop-Job stops it with a final checkpoint.
    /// </summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>With a continuous replication: block until it is stopped (Ctrl+C stops it).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Accept any TLS certificate from the source and target (self-signed test servers). Warns: the connection is not authenticated.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>With -Server: write the replication into the server's _replicator database, so that it outlives this session and the server's restarts. Returns at once with the document's id and state; Get-CouchActiveTask -Server ... -ReplicationId &lt;DocId&gt; shows when it runs.</summary>
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
            var doc = _document.DocOf(ParameterSetName == InputObjectSet ? InputObject : null, SessionState.Path);
            if (Server is not null)
            {
                StartOnServer(doc);
                return;
            }
            if (!ShouldProcess(doc.Target, $"Replicate from {doc.Source}")) return;
            // Nobody waits for a background replication: a wrong password or database name fails this command instead.
            if (InBackground(doc)) ReplicationRegistry.CheckEndsAsync(doc, SkipCertificateCheck, _stopping.Token).GetAwaiter().GetResult();
            (task, var alreadyRunning) = ReplicationRegistry.Session.StartAsync(doc, SkipCertificateCheck, narrateRequests: Debugging, _stopping.Token).GetAwaiter().GetResult();
            if (alreadyRunning) WriteWarning($"Replication {task.ReplicationId} is already running in this session; this is that task.");
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, ParameterSetName == InputObjectSet ? InputObject : _document.Typed(nameof(CouchReplicationDoc.Target))));
            return;
        }
        catch (OperationCanceledException) when (Stopping)
        {
            return;
        }

        if (AsJob)
        {
            WriteMessages(task);
            var job = new CouchReplicationJob(task, $"Start-CouchReplication {task.Source} {task.Target}", null);
            JobRepository.Add(job);
            WriteObject(job);
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
        _stopping.Cancel();
        _waitingFor?.Stop();
        base.StopProcessing();
    }

    private bool InBackground(CouchReplicationDoc doc) => AsJob || NoWait || (doc.Continuous == true && !Wait);

    private CouchReplicationException? ConflictingSwitches() =>
        NoWait && Wait ? CouchReplicationException.InvalidArgument("-NoWait and -Wait", "cannot be used together")
        : AsJob && (NoWait || Wait) ? CouchReplicationException.InvalidArgument("-AsJob", "cannot be used with -NoWait or -Wait: the job runs in the background, and Wait-Job waits for it")
        : Persistent && Server is null ? CouchReplicationException.InvalidArgument("-Persistent", "needs -Server: a persistent replication is run by a server's replicator")
        : Server is not null && (NoWait || Wait || AsJob) ? CouchReplicationException.InvalidArgument("-NoWait, -Wait and -AsJob",
            "apply to replications in this session; with -Server a one-shot replication is waited for, and a continuous or -Persistent one returns at once")
        : null;

    /// <summary>Hands the document to the server's replicator.</summary>
    private void StartOnServer(CouchReplicationDoc doc) => OnServer(call =>
    {
        var kind = Persistent ? "persistent " : doc.Continuous == true ? "continuous " : "";
        if (!ShouldProcess($"{doc.Target} (by {call.Server})", $"Start {kind}replication from {doc.Source}")) return;
        WriteObject(Persistent ? ServerCall.Shown(call.Tagged(call.Run((s, ct) => s.PersistAsync(doc, ct))))
            : doc.Continuous == true ? ServerCall.Shown(call.Tagged(call.Run((s, ct) => s.StartAsync(doc, ct))))
            : call.Run((s, ct) => s.ReplicateAsync(doc, ct), new ProgressRecord(1, $"{ReplicationProgress.Short(doc.Source ?? "")} -> {ReplicationProgress.Short(doc.Target ?? "")} (by {call.Server})", "Starting")));
    }, doc);

    private void WaitFor(CouchReplicationTask task)
    {
        var progress = new ReplicationProgress(task.Source, task.Target);
        var completion = (IAsyncResult)task.Completion;
        ProgressRecord? last = null;
        try
        {
            while (!completion.AsyncWaitHandle.WaitOne(PollInterval))
            {
                // Once stopped, the pipeline takes no more output; the task is writing its final checkpoint.
                if (Stopping) continue;
                WriteMessages(task);
                last = progress.Record(task.ToActiveTask());
                WriteProgress(last);
            }
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C while writing: return only once the final checkpoint is written, so a rerun resumes there.
            completion.AsyncWaitHandle.WaitOne();
            TellWhereItStopped(task);
            throw;
        }
        if (Stopping)
        {
            TellWhereItStopped(task);
            return;
        }
        WriteMessages(task);
        WriteProgress(progress.Completed(last));

        if (task.Result is { } result) WriteObject(result);
        else if (task.State == CouchReplicationState.Stopped) WriteObject(task);
        else if (task.Error is { } error) WriteError(PSValues.ErrorRecord(error, task.Target));
    }

    /// <summary>
    /// Ctrl+C: the pipeline takes no more output, so the host is told directly where the
    /// replication stopped and that running the same command again resumes there.
    /// </summary>
    private void TellWhereItStopped(CouchReplicationTask task)
    {
        var active = task.ToActiveTask();
        var where = task.State == CouchReplicationState.Stopped
            ? $"Replication stopped after {active.DocsWritten} documents written, checkpointed at source sequence {active.CheckpointedSourceSeq}; run the same command again to resume from there."
            : $"Replication is {task.State}: {active.DocsWritten} documents written, checkpointed at source sequence {active.CheckpointedSourceSeq}.";
        try
        {
            Host.UI.WriteWarningLine(where);
        }
        catch (Exception e) when (e is PipelineStoppedException or NotImplementedException or System.Management.Automation.Host.HostException)
        {
            // A host without a UI to write to: the checkpoint is there all the same.
        }
    }

    private void WriteMessages(CouchReplicationTask task) => Messages.Write(this, task.TryTakeMessage);
}
