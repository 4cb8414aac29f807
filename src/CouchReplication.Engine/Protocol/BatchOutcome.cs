namespace CouchReplication.Protocol;

/// <summary>
/// What one batch did, as its worker reports it to the run (CouchDB's worker sends the job one
/// <c>report_seq_done(Seq, Stats)</c>): the run alone adds it to the counters and lets the
/// checkpoint pass the batch.
/// </summary>
internal sealed record BatchOutcome(long RevisionsChecked, long MissingFound, long DocsRead, long DocsWritten, IReadOnlyList<CouchDocWriteFailure> Failures)
{
    /// <summary>A batch the target already had whole.</summary>
    public static BatchOutcome NothingMissing(long revisionsChecked) => new(revisionsChecked, 0, 0, 0, []);
}
