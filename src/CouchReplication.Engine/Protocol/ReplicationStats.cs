using CouchReplication.Json;



namespace CouchReplication.Protocol;

/// <summary>
/// The live counters of one replication, in the terms of <c>_active_tasks</c>: written by the run
/// alone (from its workers' batch outcomes and its checkpointer), read by monitoring. As in
/// CouchDB 3, the counters are totals since the replication began: each run starts them from its
/// checkpoint's newest history entry (or from where the task's previous run left them, whichever
/// is higher). The sequences are <c>0</c> until the run knows where it starts, never missing.
/// </summary>
internal sealed class ReplicationStats
{
    private long _docsRead, _docsWritten, _docWriteFailures, _missingFound, _revisionsChecked, _changesPending = -1;
    private Seq _sourceSeq = Seq.Zero, _throughSeq = Seq.Zero, _checkpointedSeq = Seq.Zero;
    private readonly object _seqLock = new();

    public long DocsRead => Interlocked.Read(ref _docsRead);
    public long DocsWritten => Interlocked.Read(ref _docsWritten);
    public long DocWriteFailures => Interlocked.Read(ref _docWriteFailures);
    public long MissingRevisionsFound => Interlocked.Read(ref _missingFound);
    public long RevisionsChecked => Interlocked.Read(ref _revisionsChecked);

    /// <summary>Changes the source still has after what was read, when the feed says; otherwise null.</summary>
    public long? ChangesPending => Interlocked.Read(ref _changesPending) is var p && p >= 0 ? p : null;

    public Seq SourceSeq { get { lock (_seqLock) return _sourceSeq; } set { lock (_seqLock) _sourceSeq = value; } }
    public Seq ThroughSeq { get { lock (_seqLock) return _throughSeq; } set { lock (_seqLock) _throughSeq = value; } }
    public Seq CheckpointedSourceSeq { get { lock (_seqLock) return _checkpointedSeq; } set { lock (_seqLock) _checkpointedSeq = value; } }

    /// <summary>Adds what a batch did.</summary>
    public void Add(BatchOutcome outcome)
    {
        Interlocked.Add(ref _revisionsChecked, outcome.RevisionsChecked);
        Interlocked.Add(ref _missingFound, outcome.MissingFound);
        Interlocked.Add(ref _docsRead, outcome.DocsRead);
        Interlocked.Add(ref _docsWritten, outcome.DocsWritten);
        Interlocked.Add(ref _docWriteFailures, outcome.Failures.Count);
    }

    public void SetPending(long? pending) => Interlocked.Exchange(ref _changesPending, pending ?? -1);

    /// <summary>The counters as they are now, to tell one run's share of the totals.</summary>
    public Counters Snapshot() => new(RevisionsChecked, MissingRevisionsFound, DocsRead, DocsWritten, DocWriteFailures);

    /// <summary>Raises each counter to the one in <paramref name="entry"/> where that is higher (CouchDB's <c>max_stats</c>).</summary>
    public void RaiseTo(CouchReplicationHistoryEntry? entry)
    {
        if (entry is null) return;
        Raise(ref _revisionsChecked, entry.MissingChecked);
        Raise(ref _missingFound, entry.MissingFound);
        Raise(ref _docsRead, entry.DocsRead);
        Raise(ref _docsWritten, entry.DocsWritten);
        Raise(ref _docWriteFailures, entry.DocWriteFailures);
    }

    private static void Raise(ref long counter, long value)
    {
        for (var now = Interlocked.Read(ref counter); now < value; now = Interlocked.Read(ref counter))
            if (Interlocked.CompareExchange(ref counter, value, now) == now) return;
    }

    /// <summary>Copies the totals into a history entry.</summary>
    public void CopyTo(CouchReplicationHistoryEntry entry)
    {
        entry.MissingChecked = RevisionsChecked;
        entry.MissingFound = MissingRevisionsFound;
        entry.DocsRead = DocsRead;
        entry.DocsWritten = DocsWritten;
        entry.DocWriteFailures = DocWriteFailures;
    }

    /// <summary>The counters of one moment; their difference is what a run did.</summary>
    public readonly record struct Counters(long MissingChecked, long MissingFound, long DocsRead, long DocsWritten, long DocWriteFailures);
}
