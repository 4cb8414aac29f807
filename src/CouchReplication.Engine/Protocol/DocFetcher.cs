using System.Text;
using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// Reads missing revisions from the source with their history: one <c>_bulk_get</c> per batch,
/// or, for a source without it (CouchDB 1.x), one <c>GET doc?open_revs=[...]</c> per document.
/// Attachments come as stubs with their stored encoding; small ones the target lacks are read
/// again inline (<see cref="FetchInlineAsync"/>), large or compressed ones the
/// <see cref="AttachmentCopier"/> streams.
/// </summary>
internal sealed class DocFetcher(CouchHttp source, bool useBulkGet, Action<string> log)
{
    private volatile bool _bulkGet = useBulkGet;

    public async Task<FetchedDocs> FetchAsync(IReadOnlyList<MissingRevs> missing, CancellationToken ct)
    {
        var fetched = new FetchedDocs();
        try
        {
            if (_bulkGet && await TryBulkGetAsync(missing, fetched, ct)) return fetched;
            await Parallel.ForEachAsync(missing, ct, async (doc, token) => await OpenRevsAsync(doc, fetched, token));
            return fetched;
        }
        catch
        {
            fetched.Dispose();
            throw;
        }
    }

    private async Task<bool> TryBulkGetAsync(IReadOnlyList<MissingRevs> missing, FetchedDocs fetched, CancellationToken ct)
    {
        JsonDocument answer;
        try
        {
            answer = await BulkGetAsync("latest=true", missing.SelectMany(doc => doc.Missing.Select(rev => (doc.Id, rev, (IReadOnlyList<string>?)null))), ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode is 400 or 404 or 405 or 501 && e.Reason != "Database does not exist.")
        {
            _bulkGet = false;
            log($"The source has no usable _bulk_get ({e.Error ?? e.StatusCode.ToString()}); reading documents one by one with open_revs.");
            return false;
        }

        fetched.Own(answer);
        TakeResults(answer, fetched);
        return true;
    }

    /// <summary>
    /// Reads exact revisions with the data of their attachments newer than <c>atts_since</c>
    /// inline, in one <c>_bulk_get</c>; null when the source has no usable <c>_bulk_get</c>.
    /// </summary>
    public async Task<FetchedDocs?> FetchInlineAsync(IReadOnlyList<(string Id, string Rev, IReadOnlyList<string> AttsSince)> revisions, CancellationToken ct)
    {
        if (!_bulkGet) return null;
        var fetched = new FetchedDocs();
        try
        {
            var answer = await BulkGetAsync("attachments=true", revisions.Select(r => (r.Id, r.Rev, (IReadOnlyList<string>?)r.AttsSince)), ct);
            fetched.Own(answer);
            TakeResults(answer, fetched);
            return fetched;
        }
        catch
        {
            fetched.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>POST _bulk_get?revs=true&amp;att_encoding_info=true&amp;{options}</c> for revisions, each with its
    /// <c>atts_since</c> when given: history always, attachments' stored encodings always.
    /// </summary>
    private Task<JsonDocument> BulkGetAsync(string options, IEnumerable<(string Id, string Rev, IReadOnlyList<string>? AttsSince)> revisions, CancellationToken ct) =>
        source.PostJsonAsync("_bulk_get?revs=true&att_encoding_info=true&" + options, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("docs");
            foreach (var (id, rev, attsSince) in revisions)
            {
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("rev", rev);
                if (attsSince is not null)
                {
                    writer.WriteStartArray("atts_since");
                    foreach (var since in attsSince) writer.WriteStringValue(since);
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }, ct);

    private static void TakeResults(JsonDocument answer, FetchedDocs fetched)
    {
        if (!answer.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The source's _bulk_get answer has no results array.");
        foreach (var result in results.EnumerateArray())
            if (result.TryGetProperty("docs", out var docs))
                foreach (var entry in docs.EnumerateArray())
                    TakeEntry(entry, fetched, result.TryGetProperty("id", out var id) ? id.GetString() : null);
    }

    private async Task OpenRevsAsync(MissingRevs doc, FetchedDocs fetched, CancellationToken ct)
    {
        var query = new StringBuilder(DocPath.Of(doc.Id))
            .Append("?revs=true&latest=true&open_revs=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(doc.Missing)));
        var answer = await source.GetJsonAsync(query.ToString(), ct);
        fetched.Own(answer);
        if (answer.RootElement.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The source's open_revs answer for '{doc.Id}' is not a JSON array.");
        foreach (var entry in answer.RootElement.EnumerateArray()) TakeEntry(entry, fetched, doc.Id);
    }

    private static void TakeEntry(JsonElement entry, FetchedDocs fetched, string? id)
    {
        if (entry.TryGetProperty("ok", out var ok)) fetched.Add(ok);
        else if (entry.TryGetProperty("error", out var error)) fetched.AddError($"{id}: {error}");
        else if (entry.TryGetProperty("missing", out var missing)) fetched.AddError($"{id}: revision {missing} is missing on the source");
    }
}
