using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// Replicates one batch of changes: asks the target which revisions it lacks, reads those from
/// the source with their history, and writes them with <c>new_edits=false</c> — plain documents
/// in one <c>_bulk_docs</c>, documents with attachments the target lacks one by one, streamed.
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
        foreach (var error in fetched.Errors) verbose($"Source could not give {error}");
        var ancestors = missing.ToDictionary(m => m.Id, m => m.PossibleAncestors, StringComparer.Ordinal);
        // Partitioned by hand: JsonElement has no equality of its own, so set operations on it
        // (Except) fall back to reflection and, all elements of one answer hashing alike, go quadratic.
        var withAttachments = new List<JsonElement>();
        var plain = new List<JsonElement>(fetched.Docs.Count);
        foreach (var doc in fetched.Docs)
            (NeedsAttachmentData(doc, ancestors[IdOf(doc)]) ? withAttachments : plain).Add(doc);

        var written = 0;
        var failures = new List<CouchDocWriteFailure>();
        var bulk = await BulkDocs.WriteAsync(target, plain, ct);
        written += plain.Count - bulk.Count;
        failures.AddRange(bulk.Where(f => f.Error != "missing_stub"));
        stats.AddDocsRead(plain.Count);

        // Streamed one by one: revisions with attachments the target lacks (only those newer than
        // its ancestors travel), and revisions it refused for a missing stub (every attachment travels).
        var copies = withAttachments.Select(d => (Id: IdOf(d), Rev: RevOf(d)!, Since: ancestors[IdOf(d)], Reread: false))
            .Concat(bulk.Where(f => f.Error == "missing_stub" && f.Rev is not null).Select(f => (f.Id, Rev: f.Rev!, Since: (IReadOnlyList<string>)[], Reread: true)));
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
            + (withAttachments.Count > 0 ? $" ({withAttachments.Count} with attachments)" : ""));
    }

    /// <summary>
    /// Whether a revision has attachments the target cannot have yet: all of them when the target
    /// has no revision of the document, otherwise those newer than the newest one it has
    /// (<c>revpos</c> above that generation, as <c>atts_since</c> decides on the source).
    /// </summary>
    private static bool NeedsAttachmentData(JsonElement doc, IReadOnlyList<string> possibleAncestors)
    {
        if (!doc.TryGetProperty("_attachments", out var attachments) || attachments.ValueKind != JsonValueKind.Object) return false;
        if (possibleAncestors.Count == 0) return attachments.EnumerateObject().Any();
        var known = possibleAncestors.Max(Generation);
        return attachments.EnumerateObject().Any(a => !a.Value.TryGetProperty("revpos", out var revpos) || revpos.GetInt32() > known);
    }

    private static int Generation(string rev) => int.TryParse(rev.AsSpan(0, Math.Max(0, rev.IndexOf('-'))), out var g) ? g : 0;

    private static string IdOf(JsonElement doc) => doc.GetProperty("_id").GetString()!;

    private static string? RevOf(JsonElement doc) => doc.TryGetProperty("_rev", out var rev) ? rev.GetString() : null;
}
