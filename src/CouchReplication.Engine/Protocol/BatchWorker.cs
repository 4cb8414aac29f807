using CouchReplication.CouchApi;

namespace CouchReplication.Protocol;

/// <summary>
/// Replicates one batch of changes: asks the target which revisions it lacks, reads those from
/// the source with their history, and writes them with <c>new_edits=false</c>: plain documents
/// in one <c>_bulk_docs</c>, documents with small uncompressed attachments the target lacks in
/// another with the data inline, documents with large or compressed ones one by one, streamed.
/// It reports what it did (<see cref="BatchOutcome"/>) and changes no shared state.
/// </summary>
internal sealed class BatchWorker(ICouchDatabase target, DocFetcher fetcher, AttachmentCopier attachments, RevsDiffSkipping skipping, Action<string> verbose)
{
    public async Task<BatchOutcome> ReplicateAsync(ChangesBatch batch, CancellationToken ct)
    {
        var revsById = LeavesById(batch);
        var revisions = revsById.Values.Sum(r => r.Count);
        var missing = await FindMissingAsync(revsById, revisions, ct);
        var missingCount = missing.Sum(m => m.Missing.Count);
        if (missingCount == 0) return BatchOutcome.NothingMissing(revisions);

        using var fetched = await fetcher.FetchAsync(missing, ct);
        var ancestors = missing.ToDictionary(m => m.Id, m => m.PossibleAncestors, StringComparer.Ordinal);
        var (plain, small, streamed) = ByAttachments(fetched.Docs, ancestors);

        // Small uncompressed attachments the target lacks: read again with their data inline and
        // written in one _bulk_docs, instead of two requests per document.
        using var inlined = small.Count == 0 ? null
            : await fetcher.FetchInlineAsync(small.Select(d => new RevisionRequest(d.Id, d.Rev!, ancestors[d.Id])).ToList(), ct);
        if (inlined is null) streamed.AddRange(small);

        var write = await WriteBulkAsync(inlined is null ? [plain] : [plain, inlined.Docs], ct);
        var copies = await CopyWithAttachmentsAsync(streamed, ancestors, write.RefusedForStubs, ct);

        verbose($"Batch {batch.Ordinal}: {missingCount} of {revisions} revisions missing on the target, {write.Written + copies.Written} written"
            + (small.Count + streamed.Count > 0 ? $" (with attachments: {small.Count} inline, {streamed.Count} streamed)" : ""));
        return new BatchOutcome(revisions, missingCount, write.Read + copies.Read, write.Written + copies.Written, [.. write.Failures, .. copies.Failures]);
    }

    /// <summary>The leaf revisions of the batch by document (a document may appear twice in a continuous batch).</summary>
    private static Dictionary<string, IReadOnlyList<string>> LeavesById(ChangesBatch batch)
    {
        var revsById = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var change in batch.Changes)
            revsById[change.Id] = revsById.TryGetValue(change.Id, out var known) ? known.Union(change.Revs).ToList() : change.Revs;
        return revsById;
    }

    /// <summary><c>_revs_diff</c>, or every revision while the target lacks nearly everything (<see cref="RevsDiffSkipping"/>).</summary>
    private async Task<IReadOnlyList<MissingRevs>> FindMissingAsync(Dictionary<string, IReadOnlyList<string>> revsById, int revisions, CancellationToken ct)
    {
        if (skipping.ShouldSkip()) return revsById.Select(r => new MissingRevs(r.Key, r.Value, [])).ToList();
        var missing = await target.RevsDiffAsync(revsById, ct);
        skipping.Observe(revisions, missing.Sum(m => m.Missing.Count));
        return missing;
    }

    /// <summary>
    /// Splits fetched revisions by the attachments the target lacks: none (plain), small and
    /// uncompressed within the batch's inline budget (small), the rest (streamed).
    /// </summary>
    private static (List<DocRevision> Plain, List<DocRevision> Small, List<DocRevision> Streamed) ByAttachments(
        List<DocRevision> docs, Dictionary<string, IReadOnlyList<string>> ancestors)
    {
        var plain = new List<DocRevision>(docs.Count);
        var small = new List<DocRevision>();
        var streamed = new List<DocRevision>();
        long inlineBytes = 0;
        foreach (var doc in docs)
        {
            var traveling = Traveling(doc, ancestors[doc.Id]);
            if (traveling.Count == 0)
            {
                plain.Add(doc);
            }
            else if (InlineBytes(traveling) is { } bytes && inlineBytes + bytes <= BatchInlineLimit)
            {
                small.Add(doc);
                inlineBytes += bytes;
            }
            else
            {
                streamed.Add(doc);
            }
        }
        return (plain, small, streamed);
    }

    private sealed record BulkWrite(long Read, long Written, List<CouchDocWriteFailure> Failures, List<CouchDocWriteFailure> RefusedForStubs);

    /// <summary>
    /// One <c>_bulk_docs</c> per group. Separate requests: a missing stub fails a whole
    /// <c>_bulk_docs</c>, and plain documents need not pay for it.
    /// </summary>
    private async Task<BulkWrite> WriteBulkAsync(IReadOnlyList<List<DocRevision>> groups, CancellationToken ct)
    {
        var write = new BulkWrite(0, 0, [], []);
        long read = 0, written = 0;
        foreach (var docs in groups)
        {
            var bulk = await BulkDocsHalving.WriteAsync(target, docs, ct);
            read += docs.Count;
            written += docs.Count - bulk.Count;
            write.Failures.AddRange(bulk.Where(f => f.Error != CouchErrors.MissingStub));
            write.RefusedForStubs.AddRange(bulk.Where(f => f.Error == CouchErrors.MissingStub && f.Rev is not null));
        }
        return write with { Read = read, Written = written };
    }

    /// <summary>
    /// Streamed one by one: revisions with large or compressed attachments the target lacks (only
    /// those newer than its ancestors travel), and revisions it refused for a missing stub (every
    /// attachment travels; they were read already).
    /// </summary>
    private async Task<(long Read, long Written, List<CouchDocWriteFailure> Failures)> CopyWithAttachmentsAsync(
        List<DocRevision> streamed, Dictionary<string, IReadOnlyList<string>> ancestors, List<CouchDocWriteFailure> refusedForStubs, CancellationToken ct)
    {
        long read = 0, written = 0;
        var failures = new List<CouchDocWriteFailure>();
        var copies = streamed.Select(d => (d.Id, Rev: d.Rev!, Since: ancestors[d.Id], Reread: false))
            .Concat(refusedForStubs.Select(f => (f.Id, Rev: f.Rev!, Since: (IReadOnlyList<string>)[], Reread: true)));
        foreach (var (id, rev, since, reread) in copies)
        {
            var copy = await attachments.CopyAsync(id, rev, since, ct);
            if (!reread) read += copy.DocsRead;
            written += copy.DocsWritten;
            failures.AddRange(copy.Failures);
        }
        return (read, written, failures);
    }

    /// <summary>Attachments of one revision the target takes in the JSON of a _bulk_docs body; larger ones are streamed.</summary>
    private const long InlineLimit = 64 * 1024;

    /// <summary>
    /// Attachment bytes one batch reads inline, which a worker holds (base64, in the parsed answer)
    /// until the batch is written; the rest of the batch streams.
    /// </summary>
    private const long BatchInlineLimit = 4 * 1024 * 1024;

    /// <summary>
    /// The attachments of a revision the target cannot have yet: all of them when the target has
    /// no revision of the document, otherwise those newer than the newest one it has
    /// (<c>revpos</c> above that generation, as <c>atts_since</c> decides on the source).
    /// </summary>
    private static IReadOnlyList<AttachmentStub> Traveling(DocRevision doc, IReadOnlyList<string> possibleAncestors)
    {
        var known = possibleAncestors.Count == 0 ? 0 : possibleAncestors.Max(Generation);
        return doc.Attachments.Where(a => known == 0 || a.RevPos is not { } revpos || revpos > known).ToList();
    }

    /// <summary>
    /// The bytes of attachments that may travel inline, or null when they may not: too large, or
    /// stored compressed (inline data comes decoded, and a compressed attachment must reach the
    /// target as stored to keep its encoding and digest).
    /// </summary>
    private static long? InlineBytes(IReadOnlyList<AttachmentStub> traveling)
    {
        long total = 0;
        foreach (var attachment in traveling)
        {
            if (attachment.Encoded || attachment.Length is not { } bytes) return null;
            total += bytes;
        }
        return total <= InlineLimit ? total : null;
    }

    private static int Generation(string rev) => int.TryParse(rev.AsSpan(0, Math.Max(0, rev.IndexOf('-'))), out var g) ? g : 0;
}
