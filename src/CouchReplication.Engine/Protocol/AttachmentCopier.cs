using System.Text;
using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Multipart;

namespace CouchReplication.Protocol;

/// <summary>What copying one document revision with its attachments did; <c>NotGiven</c> when the source did not give the revision.</summary>
internal sealed record AttachmentCopy(int DocsRead, int DocsWritten, IReadOnlyList<CouchDocWriteFailure> Failures, Unreadable? NotGiven = null);

/// <summary>
/// Copies a document revision whose attachments the target lacks: <c>GET doc?open_revs=[rev]&amp;attachments=true&amp;atts_since=[...]</c>
/// as multipart/mixed from the source, straight into <c>PUT doc?new_edits=false</c> as
/// multipart/related on the target. Attachments stream through in their stored encoding (a gzip
/// attachment stays gzip), and only those newer than the target's ancestors travel. A source
/// that answers JSON (pouchdb-server) gives inline attachments, written with _bulk_docs.
/// </summary>
internal sealed class AttachmentCopier(CouchHttp source, CouchHttp target, HttpSettings http, UnreadableRevisions unreadable, Action<string> log)
{
    // A streamed body cannot be sent again: a transient failure starts the copy over from the source.
    private readonly Polly.ResiliencePipeline _retry = Backoff.PerRequest(http, log, e => e is IOException or InvalidDataException);

    public async Task<AttachmentCopy> CopyAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        var copy = await CopyWithRetriesAsync(id, rev, attsSince, ct);
        if (copy.NotGiven is null) return copy;
        // Read again as CouchDB does, then with every attachment (its second read has no atts_since).
        var total = copy;
        await unreadable.ReadAgainAsync([copy.NotGiven], async _ =>
        {
            var again = await CopyWithRetriesAsync(id, rev, [], ct);
            total = new AttachmentCopy(total.DocsRead + again.DocsRead, total.DocsWritten + again.DocsWritten, [.. total.Failures, .. again.Failures]);
            return again.NotGiven is null ? [] : [again.NotGiven];
        }, ct, readAtOnce: false);
        return total with { NotGiven = null };
    }

    private Task<AttachmentCopy> CopyWithRetriesAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct) =>
        _retry.ExecuteAsync(async token =>
        {
            try
            {
                return await CopyOnceAsync(id, rev, attsSince, token);
            }
            catch (CouchReplicationException e) when (e.Error == "missing_stub" && attsSince.Count > 0)
            {
                // The target lost an attachment its ancestor had (revs_limit, compaction): send them all.
                log($"{id} {rev}: the target misses an attachment stub; sending every attachment");
                attsSince = [];
                return await CopyOnceAsync(id, rev, attsSince, token);
            }
        }, ct).AsTask();

    private async Task<AttachmentCopy> CopyOnceAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        var query = new StringBuilder(DocPath.Of(id))
            .Append("?revs=true&latest=true&attachments=true&att_encoding_info=true&open_revs=")
            .Append(Uri.EscapeDataString(JsonSerializer.Serialize(new[] { rev })));
        if (attsSince.Count > 0) query.Append("&atts_since=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(attsSince)));

        using var response = await source.OpenStreamAsync(HttpMethod.Get, query.ToString(), null, ct, accept: "multipart/mixed");
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var boundary = MultipartReader.BoundaryOf(response.Content.Headers.ContentType?.ToString() ?? "");
        if (boundary is null) return await CopyInlineAsync(stream, id, rev, ct);
        using var parts = new MultipartReader(stream, boundary);
        return await CopyPartsAsync(parts, id, rev, ct);
    }

    private async Task<AttachmentCopy> CopyPartsAsync(MultipartReader parts, string id, string rev, CancellationToken ct)
    {
        int read = 0, written = 0;
        Unreadable? notGiven = null;
        var failures = new List<CouchDocWriteFailure>();
        for (var part = await parts.ReadNextSectionAsync(ct); part is not null; part = await parts.ReadNextSectionAsync(ct))
        {
            if (part.NestedBoundary is { } nested)
            {
                using var related = new MultipartReader(part.Body, nested);
                var jsonPart = await related.ReadNextSectionAsync(ct) ?? throw new InvalidDataException($"{id}: an empty multipart document.");
                var json = await ReadAllAsync(jsonPart.Body, ct);
                using var doc = JsonDocument.Parse(json);
                read++;
                var body = new MultipartRelatedBody(json, FollowingLengths(doc.RootElement),
                    async token => (await related.ReadNextSectionAsync(token))?.Body);
                if (await PutAsync(doc.RootElement, body, ct) is { } failure) failures.Add(failure);
                else written++;
            }
            else
            {
                using var entry = JsonDocument.Parse(await ReadAllAsync(part.Body, ct));
                if (!entry.RootElement.TryGetProperty("_id", out _))
                {
                    notGiven = new Unreadable(id, rev, entry.RootElement.TryGetProperty("missing", out var missing)
                        ? $"revision {missing} is missing" : $"an unexpected entry {entry.RootElement.GetRawText()}");
                    continue;
                }
                // A revision with no attachment to send comes as plain JSON.
                read++;
                var refused = await BulkDocs.WriteAsync(target, [entry.RootElement], ct);
                failures.AddRange(refused);
                written += 1 - refused.Count;
            }
        }
        return new AttachmentCopy(read, written, failures, read == 0 ? notGiven ?? new Unreadable(id, rev, "an empty open_revs answer") : null);
    }

    /// <summary>
    /// A source without multipart (pouchdb-server) answers open_revs with JSON and every
    /// attachment inline (it ignores atts_since); the document goes to _bulk_docs as it is.
    /// </summary>
    private async Task<AttachmentCopy> CopyInlineAsync(Stream stream, string id, string rev, CancellationToken ct)
    {
        using var answer = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        var docs = answer.RootElement.ValueKind == JsonValueKind.Array
            ? answer.RootElement.EnumerateArray().Where(e => e.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.Object).Select(e => e.GetProperty("ok")).ToList()
            : throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The source's open_revs answer is neither multipart nor a JSON array.");
        if (docs.Count == 0)
            return new AttachmentCopy(0, 0, [], new Unreadable(id, rev, answer.RootElement.GetArrayLength() == 0 ? "an empty open_revs answer" : answer.RootElement[0].GetRawText()));
        var failures = await BulkDocs.WriteAsync(target, docs, ct);
        return new AttachmentCopy(docs.Count, docs.Count - failures.Count, failures);
    }

    /// <summary>
    /// Writes one multipart revision; a refusal CouchDB's replicator counts (401, 403, 413, 415, a
    /// 400 such as an invalid attachment name or id) is a failure of this document, not an error of the run.
    /// </summary>
    private async Task<CouchDocWriteFailure?> PutAsync(JsonElement doc, MultipartRelatedBody body, CancellationToken ct)
    {
        var id = doc.GetProperty("_id").GetString()!;
        var rev = doc.TryGetProperty("_rev", out var r) ? r.GetString() : null;
        try
        {
            using var answer = await target.SendOnceAsync(HttpMethod.Put, DocPath.Of(id) + "?new_edits=false", body, ct);
            return null;
        }
        catch (CouchReplicationException e) when (e.StatusCode is 400 or 401 or 403 or 413 or 415 && e.Error != "missing_stub")
        {
            return new CouchDocWriteFailure(id, rev, e.Error ?? e.StatusCode.ToString()!, e.Reason);
        }
    }

    /// <summary>The byte lengths of the attachments that follow the JSON, in the document's order.</summary>
    private static List<long> FollowingLengths(JsonElement doc)
    {
        var lengths = new List<long>();
        if (doc.TryGetProperty("_attachments", out var attachments) && attachments.ValueKind == JsonValueKind.Object)
            foreach (var attachment in attachments.EnumerateObject())
                if (attachment.Value.TryGetProperty("follows", out var follows) && follows.ValueKind == JsonValueKind.True)
                    lengths.Add(attachment.Value.TryGetProperty("encoding", out _)
                        ? attachment.Value.GetProperty("encoded_length").GetInt64()
                        : attachment.Value.GetProperty("length").GetInt64());
        return lengths;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
