using System.Text;
using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// Reads missing revisions from the source with their history: one <c>_bulk_get</c> per batch,
/// or, for a source without it (CouchDB 1.x) or with <c>use_bulk_get: false</c>, one
/// <c>GET doc?open_revs=[...]</c> per document. Attachments come as stubs with their stored
/// encoding; small ones the target lacks are read again inline (<see cref="FetchInlineAsync"/>),
/// large or compressed ones the <see cref="AttachmentCopier"/> streams.
/// </summary>
/// <remarks>
/// A revision the source does not give (an error or <c>missing</c> entry inside a successful
/// answer, or no entry at all) is never skipped: it is read again on its own, as CouchDB's
/// replicator does, and if the source still cannot give it the batch fails, so no checkpoint
/// passes it and a later run reads it again (<see cref="UnreadableRevisions"/>).
/// </remarks>
internal sealed class DocFetcher(CouchHttp source, bool useBulkGet, UnreadableRevisions unreadable, Action<string> log)
{
    private volatile bool _bulkGet = useBulkGet;

    public async Task<FetchedDocs> FetchAsync(IReadOnlyList<MissingRevs> missing, CancellationToken ct)
    {
        var fetched = new FetchedDocs();
        try
        {
            var requested = missing.SelectMany(doc => doc.Missing.Select(rev => (doc.Id, Rev: rev))).ToList();
            var notGiven = _bulkGet ? await TryBulkGetAsync(requested, fetched, ct) : null;
            if (notGiven is null)
                await Parallel.ForEachAsync(missing, ct, async (doc, token) =>
                {
                    var lacking = await OpenRevsAsync(doc.Id, doc.Missing, fetched, token);
                    if (lacking.Count > 0)
                        await unreadable.ReadAgainAsync(lacking, revs => OpenRevsAsync(doc.Id, revs, fetched, token), token, readAtOnce: false);
                });
            else if (notGiven.Count > 0)
                await ReadAgainAsync(notGiven, fetched, ct);
            return fetched;
        }
        catch
        {
            fetched.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One <c>_bulk_get</c> for every requested revision; returns those its answer did not give,
    /// or null when the source has no usable <c>_bulk_get</c>.
    /// </summary>
    private async Task<List<Unreadable>?> TryBulkGetAsync(List<(string Id, string Rev)> requested, FetchedDocs fetched, CancellationToken ct)
    {
        JsonDocument answer;
        try
        {
            answer = await BulkGetAsync("latest=true", requested.Select(r => (r.Id, r.Rev, (IReadOnlyList<string>?)null)), ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode is 400 or 404 or 405 or 501 && e.Reason != "Database does not exist.")
        {
            _bulkGet = false;
            log($"The source has no usable _bulk_get ({e.Error ?? e.StatusCode.ToString()}); reading documents one by one with open_revs.");
            return null;
        }

        fetched.Own(answer);
        return TakeResults(answer, requested, fetched);
    }

    /// <summary>
    /// Reads exact revisions with the data of their attachments newer than <c>atts_since</c>
    /// inline, in one <c>_bulk_get</c>; null when the source has no usable <c>_bulk_get</c>.
    /// Revisions the answer does not give are read again one by one, like any other.
    /// </summary>
    public async Task<FetchedDocs?> FetchInlineAsync(IReadOnlyList<(string Id, string Rev, IReadOnlyList<string> AttsSince)> revisions, CancellationToken ct)
    {
        if (!_bulkGet) return null;
        var fetched = new FetchedDocs();
        try
        {
            var answer = await BulkGetAsync("attachments=true", revisions.Select(r => (r.Id, r.Rev, (IReadOnlyList<string>?)r.AttsSince)), ct);
            fetched.Own(answer);
            var notGiven = TakeResults(answer, revisions.Select(r => (r.Id, r.Rev)).ToList(), fetched);
            if (notGiven.Count > 0) await ReadAgainAsync(notGiven, fetched, ct, "&attachments=true");
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

    /// <summary>
    /// Takes the documents of a <c>_bulk_get</c> answer; returns the requested revisions it did not
    /// give. Results answer the requests in order, one each (CouchDB matches them by position too);
    /// an answer of another shape is matched by revision history.
    /// </summary>
    private static List<Unreadable> TakeResults(JsonDocument answer, List<(string Id, string Rev)> requested, FetchedDocs fetched)
    {
        if (!answer.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The source's _bulk_get answer has no results array.");
        var outcomes = results.EnumerateArray().Select(result => (
            Id: result.TryGetProperty("id", out var id) ? id.GetString() : null,
            Entries: result.TryGetProperty("docs", out var docs) && docs.ValueKind == JsonValueKind.Array ? docs.EnumerateArray().ToList() : [])).ToList();
        if (outcomes.Count == requested.Count && outcomes.Zip(requested).All(p => p.First.Id == p.Second.Id))
        {
            var notGiven = new List<Unreadable>();
            foreach (var ((_, entries), (id, rev)) in outcomes.Zip(requested))
                if ((entries.Count == 0 ? "an empty result" : Take(entries, fetched, new HashSet<string>())) is { } problem)
                    notGiven.Add(new Unreadable(id, rev, problem));
            return notGiven;
        }
        // Matched by revision, not by id: a document with two missing leaves is given only as far as its answer holds each.
        var given = requested.Select(r => r.Id).Distinct().ToDictionary(id => id, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (id, entries) in outcomes)
            if (id is not null && given.TryGetValue(id, out var revs)) Take(entries, fetched, revs);
        return requested.Where(r => !given[r.Id].Contains(r.Rev)).Select(r => new Unreadable(r.Id, r.Rev, "no document in the _bulk_get answer")).ToList();
    }

    /// <summary>
    /// Adds the documents among <paramref name="entries"/>, and the revisions they give to
    /// <paramref name="given"/> (each document's history: with latest=true a revision may come back
    /// as a newer leaf); returns what the other entries said instead, if any did.
    /// </summary>
    private static string? Take(IEnumerable<JsonElement> entries, FetchedDocs fetched, ISet<string> given)
    {
        string? problem = null;
        foreach (var entry in entries)
        {
            if (entry.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.Object)
            {
                fetched.Add(ok);
                given.UnionWith(History(ok));
            }
            else problem = Problem(entry);
        }
        return problem;
    }

    /// <summary>What an entry that is not a document says: <c>{"missing": rev}</c>, or an error (nested in _bulk_get, beside its reason in open_revs).</summary>
    private static string Problem(JsonElement entry)
    {
        if (entry.TryGetProperty("missing", out var missing)) return $"revision {missing} is missing";
        if (!entry.TryGetProperty("error", out var error)) return $"an unexpected entry {entry.GetRawText()}";
        var holder = error.ValueKind == JsonValueKind.Object ? error : entry;
        var name = holder.TryGetProperty("error", out var named) ? named.ToString() : error.ToString();
        return holder.TryGetProperty("reason", out var reason) ? $"{name}: {reason}" : name;
    }

    /// <summary>
    /// <c>GET doc?revs=true&amp;latest=true&amp;open_revs=[...]</c>; adds the documents given and
    /// returns the revisions that came back missing or as errors.
    /// </summary>
    private async Task<List<Unreadable>> OpenRevsAsync(string id, IReadOnlyList<string> revs, FetchedDocs fetched, CancellationToken ct, string options = "")
    {
        var query = new StringBuilder(DocPath.Of(id))
            .Append("?revs=true&latest=true").Append(options).Append("&open_revs=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(revs)));
        var answer = await source.GetJsonAsync(query.ToString(), ct);
        fetched.Own(answer);
        if (answer.RootElement.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The source's open_revs answer for '{id}' is not a JSON array.");
        var given = new HashSet<string>(StringComparer.Ordinal);
        var problem = Take(answer.RootElement.EnumerateArray(), fetched, given);
        return revs.Where(r => !given.Contains(r)).Select(r => new Unreadable(id, r, problem ?? "not in the open_revs answer")).ToList();
    }

    /// <summary>The revision and its ancestors, from <c>_revisions</c>.</summary>
    private static IEnumerable<string> History(JsonElement doc)
    {
        if (doc.TryGetProperty("_rev", out var rev) && rev.GetString() is { } own) yield return own;
        if (!doc.TryGetProperty("_revisions", out var revisions) || !revisions.TryGetProperty("start", out var start)
            || !revisions.TryGetProperty("ids", out var ids) || !start.TryGetInt32(out var generation)) yield break;
        foreach (var hash in ids.EnumerateArray()) yield return $"{generation--}-{hash.GetString()}";
    }

    /// <summary>Reads each revision a bulk answer did not give on its own, then after a wait once more (<see cref="UnreadableRevisions"/>).</summary>
    private Task ReadAgainAsync(List<Unreadable> notGiven, FetchedDocs fetched, CancellationToken ct, string options = "") =>
        Parallel.ForEachAsync(notGiven.GroupBy(n => n.Id), ct, async (doc, token) =>
            await unreadable.ReadAgainAsync(doc.ToList(), revs => OpenRevsAsync(doc.Key, revs, fetched, token, options), token));
}
