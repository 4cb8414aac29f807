namespace CouchReplication.Protocol;

/// <summary>A revision the source did not give when asked, and what it answered instead.</summary>
internal sealed record Unreadable(string Id, string Rev, string Problem)
{
    public override string ToString() => $"{Id} {Rev} ({Problem})";
}

/// <summary>
/// CouchDB's rule for a revision the source does not give although the changes feed named it (a
/// node busy or restarting, a shard not yet readable): read it again on its own, wait
/// <c>delay</c> (CouchDB's <c>missing_doc_retry_msec</c>, 2 s) and read it once more,
/// and if it is still not there fail the batch. Skipping it would let the checkpoint pass a
/// document that was never written; failing keeps the checkpoint before it, so the next run (or
/// the restart of a continuous one) reads it again.
/// </summary>
internal sealed class UnreadableRevisions(TimeSpan delay, Action<string> log)
{
    /// <summary>
    /// Reads <paramref name="notGiven"/> again with <paramref name="read"/>, which returns the
    /// revisions still not given. <paramref name="readAtOnce"/>: the revisions came from a bulk
    /// answer and deserve a read of their own before the wait.
    /// </summary>
    public async Task ReadAgainAsync(IReadOnlyList<Unreadable> notGiven, Func<IReadOnlyList<string>, Task<List<Unreadable>>> read,
        CancellationToken ct, bool readAtOnce = true)
    {
        foreach (var revision in notGiven) log($"Source did not give {revision}; reading it again");
        var lacking = notGiven;
        if (readAtOnce)
        {
            lacking = await read(lacking.Select(l => l.Rev).ToList());
            if (lacking.Count == 0) return;
        }
        await Task.Delay(delay, ct);
        lacking = await read(lacking.Select(l => l.Rev).ToList());
        if (lacking.Count == 0) return;
        throw new CouchReplicationException(CouchErrorKind.RevisionUnreadable,
            $"The source did not give {string.Join(", ", lacking)} although its changes feed lists it; the replication stops before it so that a later run reads it again.",
            error: "unreadable_revision", reason: lacking[0].Problem, isTransient: true);
    }
}
