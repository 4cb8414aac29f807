using CouchReplication.Database;



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
internal sealed class DocFetcher(ICouchDatabase source, bool useBulkGet, UnreadableRevisions unreadable)
{
    private volatile bool _bulkGet = useBulkGet;

    public async Task<FetchedDocs> FetchAsync(IReadOnlyList<MissingRevs> missing, CancellationToken ct)
    {
        var fetched = new FetchedDocs();
        try
        {
            var requested = missing.SelectMany(doc => doc.Missing.Select(rev => new RevisionRequest(doc.Id, rev))).ToList();
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
    private async Task<List<Unreadable>?> TryBulkGetAsync(List<RevisionRequest> requested, FetchedDocs fetched, CancellationToken ct)
    {
        var answer = await source.BulkGetAsync(requested, ct);
        if (answer is null)
        {
            _bulkGet = false;
            return null;
        }
        fetched.Own(answer);
        return TakeResults(answer.Value, requested, fetched);
    }

    /// <summary>
    /// Reads exact revisions with the data of their attachments newer than <c>atts_since</c>
    /// inline, in one <c>_bulk_get</c>; null when the source has no usable <c>_bulk_get</c>.
    /// Revisions the answer does not give are read again one by one, like any other.
    /// </summary>
    public async Task<FetchedDocs?> FetchInlineAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct)
    {
        if (!_bulkGet) return null;
        var fetched = new FetchedDocs();
        try
        {
            var answer = await source.BulkGetWithAttachmentsAsync(revisions, ct);
            fetched.Own(answer);
            var notGiven = TakeResults(answer.Value, revisions, fetched);
            if (notGiven.Count > 0) await ReadAgainAsync(notGiven, fetched, ct, withAttachments: true);
            return fetched;
        }
        catch
        {
            fetched.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the documents of a <c>_bulk_get</c> answer; returns the requested revisions it did not
    /// give. Results answer the requests in order, one each (CouchDB matches them by position too);
    /// an answer of another shape is matched by revision history.
    /// </summary>
    private static List<Unreadable> TakeResults(IReadOnlyList<BulkGetResult> results, IReadOnlyList<RevisionRequest> requested, FetchedDocs fetched)
    {
        if (results.Count == requested.Count && results.Zip(requested).All(p => p.First.Id == p.Second.Id))
        {
            var notGiven = new List<Unreadable>();
            foreach (var (result, request) in results.Zip(requested))
                if ((result.Entries.Count == 0 ? "an empty result" : Take(result.Entries, fetched, new HashSet<string>())) is { } problem)
                    notGiven.Add(new Unreadable(request.Id, request.Rev, problem));
            return notGiven;
        }
        // Matched by revision, not by id: a document with two missing leaves is given only as far as its answer holds each.
        var given = requested.Select(r => r.Id).Distinct().ToDictionary(id => id, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var result in results)
            if (result.Id is not null && given.TryGetValue(result.Id, out var revs)) Take(result.Entries, fetched, revs);
        return requested.Where(r => !given[r.Id].Contains(r.Rev)).Select(r => new Unreadable(r.Id, r.Rev, "no document in the _bulk_get answer")).ToList();
    }

    /// <summary>
    /// Adds the documents among <paramref name="entries"/>, and the revisions they give to
    /// <paramref name="given"/> (each document's history: with latest=true a revision may come back
    /// as a newer leaf); returns what the other entries said instead, if any did.
    /// </summary>
    private static string? Take(IEnumerable<RevisionEntry> entries, FetchedDocs fetched, ISet<string> given)
    {
        string? problem = null;
        foreach (var entry in entries)
        {
            if (entry.Revision is { } revision)
            {
                fetched.Add(revision);
                given.UnionWith(revision.History);
            }
            else problem = entry.Problem;
        }
        return problem;
    }

    /// <summary>
    /// <c>open_revs</c> of one document; adds the documents given and returns the revisions that
    /// came back missing or as errors.
    /// </summary>
    private async Task<List<Unreadable>> OpenRevsAsync(string id, IReadOnlyList<string> revs, FetchedDocs fetched, CancellationToken ct,
        bool withAttachments = false)
    {
        var answer = await source.OpenRevsAsync(id, revs, withAttachments, ct);
        fetched.Own(answer);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var problem = Take(answer.Value, fetched, given);
        return revs.Where(r => !given.Contains(r)).Select(r => new Unreadable(id, r, problem ?? "not in the open_revs answer")).ToList();
    }

    /// <summary>Reads each revision a bulk answer did not give on its own, then after a wait once more (<see cref="UnreadableRevisions"/>).</summary>
    private Task ReadAgainAsync(List<Unreadable> notGiven, FetchedDocs fetched, CancellationToken ct, bool withAttachments = false) =>
        Parallel.ForEachAsync(notGiven.GroupBy(n => n.Id), ct, async (doc, token) =>
            await unreadable.ReadAgainAsync(doc.ToList(), revs => OpenRevsAsync(doc.Key, revs, fetched, token, withAttachments), token));
}
