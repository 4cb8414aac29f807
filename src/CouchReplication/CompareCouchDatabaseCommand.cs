using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// <para type="synopsis">Tells whether a copy of a CouchDB database is complete: every revision of the source on the target.</para>
/// <para type="description">Reads the source's changes feed (every leaf revision: conflicts and
/// deletions included, design documents too) and asks the target with _revs_diff which it lacks,
/// in batches and in parallel, as a replication does before it copies anything, so it is much
/// faster than copying. Writes one CouchDifference per revision that differs (Id, Rev, Kind), then a
/// CouchComparisonSummary: documents and revisions checked, differences by kind, the source
/// sequence compared up to, and the duration. With -Quiet it writes only $true (identical) or
/// $false.</para>
/// <para type="description">-Deep also compares, for the revisions on both sides, the bodies and
/// the attachments' digests (BodyDiffers, AttachmentDiffers; attachment data is not read). An
/// attachment one side stores compressed and the other as it is (CouchDB and pouchdb-server digest
/// different bytes for it) is compared by its decoded length and content type. -Both
/// also reports the target's revisions the source lacks (ExtraOnTarget).</para>
/// <para type="description">Piped a replication document (or given -DocIds, -Selector, -Filter
/// with -QueryParams, -SinceSeq, -WinningRevsOnly), it compares only the documents that
/// replication covers. Fields that do not apply to a comparison (continuous, create_target,
/// checkpoints) are ignored: a comparison is one-shot, writes nothing and needs only read
/// access.</para>
/// <para type="description">The source is compared as it was when the comparison started (its
/// update_seq then, in the summary's SourceSeq): a document that differs and was changed after that
/// is not reported but counted in ChangedDuringComparison, so a live database gives a stable
/// answer. Ctrl+C stops the comparison.</para>
/// </summary>
[Cmdlet(VerbsData.Compare, "CouchDatabase", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(CouchDifference), typeof(CouchComparisonSummary), typeof(bool))]
public sealed class CompareCouchDatabaseCommand : PSCmdlet, IDynamicParameters
{
    private const string InputObjectSet = "InputObject";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly ReplicationDocParameters _document = new(credentialsAlsoIn: InputObjectSet);
    private volatile CouchComparison? _running;

    /// <summary>
    /// A replication document whose source and target to compare, in its scope: a
    /// CouchReplicationDoc, a hashtable, or an object with the document's fields (such as
    /// ConvertFrom-Json output).
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>Also compare the bodies and attachment digests of the revisions on both sides.</summary>
    [Parameter]
    public SwitchParameter Deep { get; set; }

    /// <summary>Also report the revisions the target has and the source lacks (ExtraOnTarget).</summary>
    [Parameter]
    public SwitchParameter Both { get; set; }

    /// <summary>Write only $true when no difference was found, $false otherwise: for if in a script.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>Accept any TLS certificate from the source and target (self-signed test servers). Warns: the connection is not authenticated.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>The replication document's fields, one parameter each (see <see cref="ReplicationDocParameters"/>).</summary>
    public object GetDynamicParameters() => _document.Parameters;

    /// <summary>Compares the databases of one document.</summary>
    protected override void ProcessRecord()
    {
        var errorTarget = ParameterSetName == InputObjectSet ? InputObject : _document.Typed(nameof(CouchReplicationDoc.Target));
        CouchComparison comparison;
        try
        {
            var doc = _document.DocOf(ParameterSetName == InputObjectSet ? InputObject : null, SessionState.Path);
            comparison = CouchComparison.Start(doc, Deep, Both, SkipCertificateCheck);
        }
        catch (CouchReplicationException e)
        {
            WriteError(PSValues.ErrorRecord(e, errorTarget));
            return;
        }
        _running = comparison;
        try
        {
            WaitFor(comparison, errorTarget);
        }
        finally
        {
            _running = null;
        }
    }

    /// <summary>Ctrl+C: the comparison stops and ProcessRecord returns.</summary>
    protected override void StopProcessing() => _running?.Stop();

    private void WaitFor(CouchComparison comparison, object errorTarget)
    {
        var activity = $"Comparing {comparison.Source} with {comparison.Target}";
        var completion = (IAsyncResult)comparison.Completion;
        ProgressRecord Progress() => new(2, activity,
            $"{comparison.DocumentsChecked} documents, {comparison.RevisionsChecked} revisions checked, {comparison.Differences} differences")
        {
            PercentComplete = comparison.Progress ?? -1,
        };

        while (!completion.AsyncWaitHandle.WaitOne(PollInterval))
        {
            if (Stopping) continue;
            WriteFound(comparison);
            // A new record each time: a host may keep every record it is given.
            WriteProgress(Progress());
        }
        if (Stopping) return;
        WriteFound(comparison);
        var done = Progress();
        done.RecordType = ProgressRecordType.Completed;
        WriteProgress(done);

        if (comparison.Completion.IsCompletedSuccessfully)
            WriteObject(Quiet ? comparison.Completion.Result.Identical : comparison.Completion.Result);
        else if (comparison.Completion.Exception?.InnerException is CouchReplicationException error)
            WriteError(PSValues.ErrorRecord(error, errorTarget));
    }

    /// <summary>The messages and differences found so far, on the pipeline thread.</summary>
    private void WriteFound(CouchComparison comparison)
    {
        Messages.Write(this, comparison.TryTakeMessage);
        while (comparison.TryTakeDifference(out var difference))
            if (!Quiet) WriteObject(difference);
    }
}
