using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Http;



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
/// <remarks>
/// At most <see cref="InFlight"/> copies run at once in a run, one per worker_processes as in
/// CouchDB's replicator (each of its workers writes one document with attachments at a time), but
/// whichever batches they come from: a batch of large attachments need not wait for other batches
/// to keep as many copies going.
/// </remarks>
internal sealed class AttachmentCopier(ICouchDatabase source, ICouchDatabase target, HttpSettings http, int inFlight,
    UnreadableRevisions unreadable, Action<string> log)
{
    private readonly SemaphoreSlim _slots = new(inFlight);

    /// <summary>How many copies the run has in flight at most.</summary>
    public int InFlight => inFlight;

    // A streamed body cannot be sent again: a transient failure starts the copy over from the source.
    private readonly Polly.ResiliencePipeline _retry = Backoff.PerRequest(http, log, e => e is IOException or InvalidDataException);

    public async Task<AttachmentCopy> CopyAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            return await CopyOrReadAgainAsync(id, rev, attsSince, ct);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<AttachmentCopy> CopyOrReadAgainAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
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
            catch (CouchReplicationException e) when (e.Error == CouchErrors.MissingStub && attsSince.Count > 0)
            {
                // The target lost an attachment its ancestor had (revs_limit, compaction): send them all.
                log($"{id} {rev}: the target misses an attachment stub; sending every attachment");
                attsSince = [];
                return await CopyOnceAsync(id, rev, attsSince, token);
            }
        }, ct).AsTask();

    private async Task<AttachmentCopy> CopyOnceAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        await using var parts = await source.OpenRevisionWithAttachmentsAsync(id, rev, attsSince, ct);
        int read = 0, written = 0;
        Unreadable? notGiven = null;
        var failures = new List<CouchDocWriteFailure>();
        for (var part = await parts.NextAsync(ct); part is not null; part = await parts.NextAsync(ct))
        {
            using (part)
            {
                switch (part)
                {
                    case RevisionWithAttachments revision:
                        read++;
                        if (await target.PutWithAttachmentsAsync(revision, ct) is { } failure) failures.Add(failure);
                        else written++;
                        break;
                    case PlainRevisions plain:
                        read += plain.Revisions.Count;
                        var refused = await BulkDocsHalving.WriteAsync(target, plain.Revisions, ct);
                        failures.AddRange(refused);
                        written += plain.Revisions.Count - refused.Count;
                        break;
                    case RevisionNotGiven missing:
                        notGiven = new Unreadable(id, rev, missing.Problem);
                        break;
                }
            }
        }
        return new AttachmentCopy(read, written, failures, read == 0 ? notGiven ?? new Unreadable(id, rev, "an empty open_revs answer") : null);
    }
}
