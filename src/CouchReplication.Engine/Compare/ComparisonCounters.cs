namespace CouchReplication.Compare;

/// <summary>
/// The live counters of one comparison: written by its checks from their batches, read by the
/// progress bar and, at the end, by the summary.
/// </summary>
internal sealed class ComparisonCounters
{
    private long _documents, _revisions, _bodies, _changed, _pending = -1;
    private readonly long[] _byKind = new long[Enum.GetValues<CouchDifferenceKind>().Length];

    public long Documents => Interlocked.Read(ref _documents);
    public long Revisions => Interlocked.Read(ref _revisions);
    public long Bodies => Interlocked.Read(ref _bodies);
    public long Changed => Interlocked.Read(ref _changed);

    /// <summary>Changes the source's feed still had after the last batch read, when it said; otherwise null.</summary>
    public long? Pending => Interlocked.Read(ref _pending) is var p && p >= 0 ? p : null;

    public long Of(CouchDifferenceKind kind) => Interlocked.Read(ref _byKind[(int)kind]);

    public long Differences => Enum.GetValues<CouchDifferenceKind>().Sum(Of);

    /// <summary>A batch checked: its documents and leaf revisions, and the bodies compared.</summary>
    public void Checked(int documents, int revisions, int bodies)
    {
        Interlocked.Add(ref _documents, documents);
        Interlocked.Add(ref _revisions, revisions);
        Interlocked.Add(ref _bodies, bodies);
    }

    public void Found(CouchDifferenceKind kind) => Interlocked.Increment(ref _byKind[(int)kind]);

    public void ChangedMeanwhile(int documents) => Interlocked.Add(ref _changed, documents);

    public void SetPending(long? pending)
    {
        if (pending is { } p) Interlocked.Exchange(ref _pending, p);
    }
}
