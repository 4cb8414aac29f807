namespace CouchReplication.Protocol;

/// <summary>
/// Decides when to leave out <c>_revs_diff</c>. While a target turns out to lack nearly every
/// revision (a first copy into an empty database), asking costs a round trip per batch and saves
/// nothing: the batch is written whole instead, which is harmless because a revision written
/// again with <c>new_edits=false</c> changes nothing. Every <see cref="ProbeEvery"/>th batch asks
/// again, so the engine notices when the target starts having what the source sends.
/// </summary>
internal sealed class RevsDiffSkipping
{
    /// <summary>How many batches in a row must be (nearly) all missing before asking stops.</summary>
    public const int Streak = 3;

    /// <summary>While skipping, one batch in this many is still asked about.</summary>
    public const int ProbeEvery = 10;

    private const double NearlyAll = 0.95;
    private readonly object _lock = new();
    private int _streak;
    private long _batches;

    /// <summary>Whether this batch should skip <c>_revs_diff</c>.</summary>
    public bool ShouldSkip()
    {
        lock (_lock)
            return _streak >= Streak && ++_batches % ProbeEvery != 0;
    }

    /// <summary>Records what an asked batch showed: <paramref name="missing"/> of <paramref name="checkedRevisions"/> lacking.</summary>
    public void Observe(int checkedRevisions, int missing)
    {
        lock (_lock)
            _streak = checkedRevisions > 0 && missing >= NearlyAll * checkedRevisions ? _streak + 1 : 0;
    }
}
