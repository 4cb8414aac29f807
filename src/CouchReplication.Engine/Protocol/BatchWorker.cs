using CouchReplication.Database;



namespace CouchReplication.Protocol;

/// <summary>
/// Replicates one batch of changes: asks the target which revisions it lacks, reads those from
/// the source with their history, and writes them with <c>new_edits=false</c>: plain documents
/// in one <c>_bulk_docs</c>, documents with small uncompressed attachments the target lacks in
/// rounds of <c>_bulk_docs</c> with the data inline (bounded by bytes), documents with large or
/// compressed ones one by one, streamed, several at a time.
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

        var write = await WriteBulkAsync(plain, ct);
        var inline = 0;
        // Small uncompressed attachments the target lacks: read again with their data inline and
        // written with _bulk_docs, instead of two requests per document; a round at a time, so what
        // a worker holds is bounded by bytes whatever the batch's size.
        foreach (var round in InlineRounds(small))
        {
            using var inlined = await fetcher.FetchInlineAsync(round.Select(d => new RevisionRequest(d.Id, d.Rev!, ancestors[d.Id])).ToList(), ct);
            if (inlined is null)
            {
                streamed.AddRange(round);
                continue;
            }
            write = write.Add(await WriteBulkAsync(inlined.Docs, ct));
            inline += round.Count;
        }
        var copies = await CopyWithAttachmentsAsync(streamed, ancestors, write.RefusedForStubs, ct);

        verbose($"Batch {batch.Ordinal}: {missingCount} of {revisions} revisions missing on the target, {write.Written + copies.Written} written"
            + (inline + streamed.Count > 0 ? $" (with attachments: {inline} inline, {streamed.Count} streamed)" : ""));
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
    /// uncompressed (small), the rest (streamed).
    /// </summary>
    private static (List<DocRevision> Plain, List<DocRevision> Small, List<DocRevision> Streamed) ByAttachments(
        List<DocRevision> docs, Dictionary<string, IReadOnlyList<string>> ancestors)
    {
        var plain = new List<DocRevision>(docs.Count);
        var small = new List<DocRevision>();
        var streamed = new List<DocRevision>();
        foreach (var doc in docs)
        {
            var traveling = Traveling(doc, ancestors[doc.Id]);
            if (traveling.Count == 0) plain.Add(doc);
            else if (InlineBytes(traveling) is not null) small.Add(doc);
            else streamed.Add(doc);
        }
        return (plain, small, streamed);
    }

    /// <summary>The small revisions in rounds of at most <see cref="RoundInlineLimit"/> attachment bytes.</summary>
    private static IEnumerable<List<DocRevision>> InlineRounds(List<DocRevision> small)
    {
        var round = new List<DocRevision>();
        long bytes = 0;
        foreach (var doc in small)
        {
            var docBytes = doc.Attachments.Sum(a => a.Length ?? 0);
            if (round.Count > 0 && bytes + docBytes > RoundInlineLimit)
            {
                yield return round;
                round = [];
                bytes = 0;
            }
            round.Add(doc);
            bytes += docBytes;
        }
        if (round.Count > 0) yield return round;
    }

    private sealed record BulkWrite(long Read, long Written, List<CouchDocWriteFailure> Failures, List<CouchDocWriteFailure> RefusedForStubs)
    {
        public BulkWrite Add(BulkWrite other) =>
            new(Read + other.Read, Written + other.Written, [.. Failures, .. other.Failures], [.. RefusedForStubs, .. other.RefusedForStubs]);
    }

    /// <summary>
    /// One <c>_bulk_docs</c> (halved on a 413 or 400). Plain documents and each inline round are
    /// written apart: a missing stub fails a whole <c>_bulk_docs</c>, and plain documents need not
    /// pay for it.
    /// </summary>
    private async Task<BulkWrite> WriteBulkAsync(List<DocRevision> docs, CancellationToken ct)
    {
        var refused = await BulkDocsHalving.WriteAsync(target, docs, ct);
        return new BulkWrite(docs.Count, docs.Count - refused.Count,
            refused.Where(f => f.Error != CouchErrors.MissingStub).ToList(),
            refused.Where(f => f.Error == CouchErrors.MissingStub && f.Rev is not null).ToList());
    }

    /// <summary>
    /// Streamed: revisions with large or compressed attachments the target lacks (only those newer
    /// than its ancestors travel), and revisions it refused for a missing stub (every attachment
    /// travels; they were read already). Several at once (<see cref="AttachmentCopier"/> bounds how
    /// many the run has in flight): one copy holds two small buffers, whatever the attachment's size.
    /// </summary>
    private async Task<(long Read, long Written, List<CouchDocWriteFailure> Failures)> CopyWithAttachmentsAsync(
        List<DocRevision> streamed, Dictionary<string, IReadOnlyList<string>> ancestors, List<CouchDocWriteFailure> refusedForStubs, CancellationToken ct)
    {
        long read = 0, written = 0;
        var failures = new List<CouchDocWriteFailure>();
        var copies = streamed.Select(d => (d.Id, Rev: d.Rev!, Since: ancestors[d.Id], Reread: false))
            .Concat(refusedForStubs.Select(f => (f.Id, Rev: f.Rev!, Since: (IReadOnlyList<string>)[], Reread: true)));
        await Parallel.ForEachAsync(copies, new ParallelOptions { MaxDegreeOfParallelism = attachments.InFlight, CancellationToken = ct },
            async (copy, token) =>
            {
                var done = await attachments.CopyAsync(copy.Id, copy.Rev, copy.Since, token);
                lock (failures)
                {
                    if (!copy.Reread) read += done.DocsRead;
                    written += done.DocsWritten;
                    failures.AddRange(done.Failures);
                }
            });
        return (read, written, failures);
    }

    /// <summary>Attachments of one revision the target takes in the JSON of a _bulk_docs body; larger ones are streamed.</summary>
    private const long InlineLimit = 64 * 1024;

    /// <summary>
    /// Attachment bytes one inline round reads (a <c>_bulk_get</c> with the data as base64, parsed
    /// whole) and writes (one <c>_bulk_docs</c>): what a worker holds of them at a time. CouchDB's
    /// replicator flushes its <c>_bulk_docs</c> at 512 KiB.
    /// </summary>
    private const long RoundInlineLimit = 1024 * 1024;

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
