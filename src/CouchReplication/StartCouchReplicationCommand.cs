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
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CouchReplication", DefaultParameterSetName = DocumentSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchReplicationResult), typeof(CouchReplicationTask))]
public sealed class StartCouchReplicationCommand : ReplicationDocCmdlet
{
    private const string InputObjectSet = "InputObject";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
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

    /// <summary>Starts one replication per document.</summary>
    protected override void ProcessRecord()
    {
        if (NoWait && Wait)
        {
            WriteError(PSValues.ErrorRecord(CouchReplicationException.InvalidArgument("-NoWait and -Wait", "cannot be used together"), null));
            return;
        }

        CouchReplicationTask task;
        try
        {
            var doc = ParameterSetName == InputObjectSet ? PSValues.ToDoc(InputObject, nameof(InputObject)) : BuildDoc();
            if (!ShouldProcess(doc.Target, $"Replicate from {doc.Source}")) return;
            (task, var alreadyRunning) = ReplicationRegistry.Session.StartAsync(doc, SkipCertificateCheck).GetAwaiter().GetResult();
            if (alreadyRunning) WriteWarning($"Replication {task.ReplicationId} is already running in this session; this is that task.");
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, ParameterSetName == InputObjectSet ? InputObject : Target));
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

    /// <summary>Ctrl+C: the replication stops, writes its final checkpoint, and ProcessRecord returns.</summary>
    protected override void StopProcessing() => _waitingFor?.Stop();

    private void WaitFor(CouchReplicationTask task)
    {
        var progress = new ProgressRecord(1, $"Replicating {task.Source} to {task.Target}", "Starting");
        var completion = (IAsyncResult)task.Completion;
        while (!completion.AsyncWaitHandle.WaitOne(PollInterval))
        {
            WriteMessages(task);
            var active = task.ToActiveTask();
            progress.StatusDescription = $"{active.State}: {active.DocsWritten} documents written, {active.ChangesPending?.ToString() ?? "?"} changes pending";
            progress.PercentComplete = active.Progress ?? -1;
            WriteProgress(progress);
        }
        if (Stopping) return;
        WriteMessages(task);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);

        if (task.Completion.IsCompletedSuccessfully) WriteObject(task.Completion.Result);
        else if (task.State == CouchReplicationState.Stopped) WriteObject(task);
        else if (task.Error is { } error) WriteError(PSValues.ErrorRecord(error, task.Target));
    }

    private void WriteMessages(CouchReplicationTask task)
    {
        while (task.TryTakeMessage(out var message))
            if (message.IsWarning) WriteWarning(message.Text);
            else WriteVerbose(message.Text);
    }
}
