using System.Collections;
using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Replicates a CouchDB database to another.</para>
/// <para type="description">Runs the replication in the module's own engine: the changes feed
/// of the source, revs_diff, bulk_get and bulk_docs with new_edits=false, checkpoints in _local
/// documents on both sides. A one-shot replication waits, shows progress, and returns a
/// CouchReplicationResult. Ctrl+C stops it cleanly with a final checkpoint; run it again to
/// resume.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CouchReplication", DefaultParameterSetName = DocumentSet, SupportsShouldProcess = true)]
[OutputType(typeof(CouchReplicationResult))]
public sealed class StartCouchReplicationCommand : ReplicationDocCmdlet
{
    private const string InputObjectSet = "InputObject";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private volatile ReplicationJob? _running;

    /// <summary>
    /// A replication document: a CouchReplicationDoc, a hashtable, or an object with the
    /// document's fields (such as ConvertFrom-Json output).
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Starts one replication per document and waits for it.</summary>
    protected override void ProcessRecord()
    {
        CouchReplicationDoc doc;
        ReplicationJob job;
        try
        {
            doc = ParameterSetName == InputObjectSet ? ToDoc(InputObject) : BuildDoc();
            if (!ShouldProcess(doc.Target, $"Replicate from {doc.Source}")) return;
            job = ReplicationJob.Start(doc);
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, InputObject ?? Source));
            return;
        }

        _running = job;
        try
        {
            Wait(job);
        }
        finally
        {
            _running = null;
        }
    }

    /// <summary>Ctrl+C: the replication stops, writes its final checkpoint, and ProcessRecord returns.</summary>
    protected override void StopProcessing() => _running?.Stop();

    private void Wait(ReplicationJob job)
    {
        var progress = new ProgressRecord(1, $"Replicating {job.Source} to {job.Target}", "Starting");
        var completion = (IAsyncResult)job.Completion;
        while (!completion.AsyncWaitHandle.WaitOne(PollInterval))
        {
            WriteMessages(job);
            var task = job.ToActiveTask();
            progress.StatusDescription = $"{task.State}: {task.DocsWritten} documents written, {task.ChangesPending?.ToString() ?? "?"} changes pending";
            progress.PercentComplete = task.Progress ?? -1;
            WriteProgress(progress);
        }
        if (Stopping) return;
        WriteMessages(job);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);

        if (job.Completion.IsCompletedSuccessfully) WriteObject(job.Completion.Result);
        else if (job.Error is { } error) WriteError(PSValues.ErrorRecord(error, job.Target));
    }

    private void WriteMessages(ReplicationJob job)
    {
        while (job.TryTakeMessage(out var message))
            if (message.IsWarning) WriteWarning(message.Text);
            else WriteVerbose(message.Text);
    }

    private static CouchReplicationDoc ToDoc(object input) => PSValues.ToPlain(input) switch
    {
        CouchReplicationDoc doc => doc,
        IDictionary fields => CouchReplicationDoc.FromDictionary(fields),
        var other => throw CouchReplicationException.InvalidArgument("InputObject",
            $"expected a CouchReplicationDoc, a hashtable or an object with source and target, not {other?.GetType().Name ?? "null"}"),
    };
}
