using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// Replicates one batch of changes: asks the target which revisions it lacks, reads those from
/// the source with their history, and writes them with <c>new_edits=false</c>: plain documents
/// in one <c>_bulk_docs</c>, documents with small uncompressed attachments the target lacks in
/// another with the data inline, documents with large or compressed ones one by one, streamed.
/// </summary>
internal sealed class BatchWorker(CouchHttp target, DocFetcher fetcher, AttachmentCopier attachments, RevsDiffSkipping skipping,
    ReplicationStats stats, Action<string> verbose, Action<CouchDocWriteFailure> refused)
{
    public async Task ReplicateAsync(ChangesBatch batch, CancellationToken ct)
    {
        var revsById = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var change in batch.Changes)
            revsById[change.Id] = revsById.TryGetValue(change.Id, out var known) ? known.Union(change.Revs).ToList() : change.Revs;
        stats.AddRevisionsChecked(revsById.Values.Sum(r => r.Count));

        IReadOnlyList<MissingRevs> missing;
        if (skipping.ShouldSkip())
        {
            missing = revsById.Select(r => new MissingRevs(r.Key, r.Value, [])).ToList();
        }
        else
        {
            missing = await RevsDiff.FindMissingAsync(target, revsById, ct);
            skipping.Observe(revsById.Values.Sum(r => r.Count), missing.Sum(m => m.Missing.Count));
        }
        var missingCount = missing.Sum(m => m.Missing.Count);
        stats.AddMissingFound(missingCount);
        if (missingCount == 0) return;

        using var fetched = await fetcher.FetchAsync(missing, ct);
        var ancestors = missing.ToDictionary(m => m.Id, m => m.PossibleAncestors, StringComparer.Ordinal);
        // Partitioned by hand: JsonElement has no equality of its own, so set operations on it
        // (Except) fall back to reflection and, all elements of one answer hashing alike, go quadratic.
        var plain = new List<JsonElement>(fetched.Docs.Count);
        var small = new List<JsonElement>();
        var streamed = new List<JsonElement>();
        long inlineBytes = 0;
        foreach (var doc in fetched.Docs)
        {
            var traveling = Traveling(doc, ancestors[IdOf(doc)]);
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

        // Small uncompressed attachments the target lacks: read again with their data inline and
        // written in one _bulk_docs, instead of two requests per document.
        using var inlined = small.Count == 0 ? null
            : await fetcher.FetchInlineAsync(small.Select(d => (IdOf(d), RevOf(d)!, ancestors[IdOf(d)])).ToList(), ct);
        if (inlined is null) streamed.AddRange(small);

        var written = 0;
        var failures = new List<CouchDocWriteFailure>();
        var refusedForStubs = new List<CouchDocWriteFailure>();
        foreach (var docs in inlined is null ? [plain] : new[] { plain, inlined.Docs })
        {
            // Separate requests: a missing stub fails a whole _bulk_docs, and plain documents need not pay for it.
            var bulk = await BulkDocs.WriteAsync(target, docs, ct);
            written += docs.Count - bulk.Count;
            failures.AddRange(bulk.Where(f => f.Error != "missing_stub"));
            refusedForStubs.AddRange(bulk.Where(f => f.Error == "missing_stub" && f.Rev is not null));
            stats.AddDocsRead(docs.Count);
        }

        // Streamed one by one: revisions with large or compressed attachments the target lacks
        // (only those newer than its ancestors travel), and revisions it refused for a missing
        // stub (every attachment travels).
        var copies = streamed.Select(d => (Id: IdOf(d), Rev: RevOf(d)!, Since: ancestors[IdOf(d)], Reread: false))
            .Concat(refusedForStubs.Select(f => (f.Id, Rev: f.Rev!, Since: (IReadOnlyList<string>)[], Reread: true)));
        foreach (var (id, rev, since, reread) in copies)
        {
            var copy = await attachments.CopyAsync(id, rev, since, ct);
            if (!reread) stats.AddDocsRead(copy.DocsRead);
            written += copy.DocsWritten;
            failures.AddRange(copy.Failures);
        }

        stats.AddDocsWritten(written);
        stats.AddDocWriteFailures(failures.Count);
        foreach (var failure in failures) refused(failure);
        verbose($"Batch {batch.Ordinal}: {missingCount} of {revsById.Values.Sum(r => r.Count)} revisions missing on the target, {written} written"
            + (small.Count + streamed.Count > 0 ? $" (with attachments: {small.Count} inline, {streamed.Count} streamed)" : ""));
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
    private static IReadOnlyList<JsonElement> Traveling(JsonElement doc, IReadOnlyList<string> possibleAncestors)
    {
        if (!doc.TryGetProperty("_attachments", out var attachments) || attachments.ValueKind != JsonValueKind.Object) return [];
        var traveling = new List<JsonElement>();
        var known = possibleAncestors.Count == 0 ? 0 : possibleAncestors.Max(Generation);
        foreach (var attachment in attachments.EnumerateObject())
            if (known == 0 || !attachment.Value.TryGetProperty("revpos", out var revpos) || revpos.GetInt32() > known)
                traveling.Add(attachment.Value);
        return traveling;
    }

    /// <summary>
    /// The bytes of attachments that may travel inline, or null when they may not: too large, or
    /// stored compressed (inline data comes decoded, and a compressed attachment must reach the
    /// target as stored to keep its encoding and digest).
    /// </summary>
    private static long? InlineBytes(IReadOnlyList<JsonElement> traveling)
    {
        long total = 0;
        foreach (var attachment in traveling)
        {
            if (attachment.TryGetProperty("encoding", out _) || !attachment.TryGetProperty("length", out var length) || !length.TryGetInt64(out var bytes))
                return null;
            total += bytes;
        }
        return total <= InlineLimit ? total : null;
    }

    private static int Generation(string rev) => int.TryParse(rev.AsSpan(0, Math.Max(0, rev.IndexOf('-'))), out var g) ? g : 0;

    private static string IdOf(JsonElement doc) => doc.GetProperty("_id").GetString()!;

    private static string? RevOf(JsonElement doc) => doc.TryGetProperty("_rev", out var rev) ? rev.GetString() : null;
}
