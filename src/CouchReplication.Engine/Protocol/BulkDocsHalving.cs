using CouchReplication.Database;



namespace CouchReplication.Protocol;

/// <summary>
/// Writes revisions with <c>_bulk_docs</c> (<c>new_edits=false</c>). A refused document is a
/// failure to report, not a reason to stop (CouchDB's rule). When the target refuses the whole
/// request for the sake of one document (<see cref="BulkRefusal"/>: too large, a missing attachment
/// stub, a document it will not take), the batch is halved until that document stands alone; it is
/// then counted as a failure with the target's reason, and the rest is written.
/// </summary>
internal static class BulkDocsHalving
{
    public static async Task<IReadOnlyList<CouchDocWriteFailure>> WriteAsync(ICouchDatabase target, IReadOnlyList<DocRevision> revisions, CancellationToken ct)
    {
        var failures = new List<CouchDocWriteFailure>();
        await WriteAsync(target, revisions, failures, ct);
        return failures;
    }

    private static async Task WriteAsync(ICouchDatabase target, IReadOnlyList<DocRevision> revisions, List<CouchDocWriteFailure> failures, CancellationToken ct)
    {
        if (revisions.Count == 0) return;
        var answer = await target.BulkDocsAsync(revisions, ct);
        if (answer.Refusal is not { } refusal)
        {
            failures.AddRange(answer.Failures);
            return;
        }
        if (revisions.Count == 1)
        {
            failures.Add(new CouchDocWriteFailure(revisions[0].Id, revisions[0].Rev, refusal.Error, refusal.Reason));
            return;
        }
        var half = revisions.Count / 2;
        await WriteAsync(target, revisions.Take(half).ToList(), failures, ct);
        await WriteAsync(target, revisions.Skip(half).ToList(), failures, ct);
    }
}
