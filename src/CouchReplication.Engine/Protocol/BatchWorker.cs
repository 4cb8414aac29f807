using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// Replicates one batch of changes: asks the target which revisions it lacks, reads those from
/// the source with their history, and writes them with <c>new_edits=false</c>.
/// </summary>
internal sealed class BatchWorker(CouchHttp target, DocFetcher fetcher, ReplicationStats stats,
    Action<string> verbose, Action<CouchDocWriteFailure> refused)
{
    public async Task ReplicateAsync(ChangesBatch batch, CancellationToken ct)
    {
        var revsById = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var change in batch.Changes)
            revsById[change.Id] = revsById.TryGetValue(change.Id, out var known) ? known.Union(change.Revs).ToList() : change.Revs;
        stats.AddRevisionsChecked(revsById.Values.Sum(r => r.Count));

        var missing = await RevsDiff.FindMissingAsync(target, revsById, ct);
        var missingCount = missing.Sum(m => m.Missing.Count);
        stats.AddMissingFound(missingCount);
        if (missingCount == 0) return;

        using var fetched = await fetcher.FetchAsync(missing, ct);
        foreach (var error in fetched.Errors) verbose($"Source could not give {error}");
        stats.AddDocsRead(fetched.Docs.Count);

        var failures = await BulkDocs.WriteAsync(target, fetched.Docs, ct);
        stats.AddDocsWritten(fetched.Docs.Count - failures.Count);
        stats.AddDocWriteFailures(failures.Count);
        foreach (var failure in failures) refused(failure);
        verbose($"Batch {batch.Ordinal}: {missingCount} of {revsById.Values.Sum(r => r.Count)} revisions missing on the target, {fetched.Docs.Count - failures.Count} written");
    }
}
