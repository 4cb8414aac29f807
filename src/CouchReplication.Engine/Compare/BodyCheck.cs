using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Protocol;



namespace CouchReplication.Compare;

/// <summary>
/// -Deep: reads the revisions both databases have from each of them, as the replication reads
/// revisions (<see cref="DocFetcher"/>: <c>_bulk_get</c>, or <c>open_revs</c> per document;
/// attachments as stubs), and compares what they hold (<see cref="RevisionContent"/>).
/// </summary>
internal sealed class BodyCheck(ICouchDatabase source, ICouchDatabase target, ReplicationSettings settings, Action<string> log)
{
    private readonly DocFetcher _source = new(source, settings.UseBulkGet, new UnreadableRevisions(settings.MissingRevisionRetryDelay, log));
    private readonly DocFetcher _target = new(target, settings.UseBulkGet, new UnreadableRevisions(settings.MissingRevisionRetryDelay, log));

    /// <summary>Compares the revisions of <paramref name="onBoth"/>; returns the differences and how many revisions were compared.</summary>
    public async Task<(List<CouchDifference> Differences, int Compared)> CompareAsync(IReadOnlyList<MissingRevs> onBoth, CancellationToken ct)
    {
        if (onBoth.Count == 0) return ([], 0);
        var reads = new[] { _source.FetchAsync(onBoth, ct), _target.FetchAsync(onBoth, ct) };
        try
        {
            await Task.WhenAll(reads);
        }
        catch
        {
            foreach (var read in reads.Where(r => r.IsCompletedSuccessfully)) read.Result.Dispose();
            throw;
        }
        using var ours = reads[0].Result;
        using var theirs = reads[1].Result;
        var targetCopies = theirs.Docs.Where(d => d.Rev is not null).ToDictionary(d => (d.Id, d.Rev!));
        var differences = new List<CouchDifference>();
        var compared = 0;
        foreach (var doc in ours.Docs)
        {
            if (!targetCopies.TryGetValue((doc.Id, doc.Rev!), out var copy)) continue;
            compared++;
            differences.AddRange(RevisionContent.Differences(doc, copy));
        }
        return (differences, compared);
    }
}
