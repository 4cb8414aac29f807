using CouchReplication.Json;

namespace CouchReplication;

/// <summary>
/// The live counters of one replication, written by the workers and read by monitoring, in the
/// terms of <c>_active_tasks</c>.
/// </summary>
internal sealed class ReplicationStats
{
    private long _docsRead, _docsWritten, _docWriteFailures, _missingFound, _revisionsChecked, _changesPending = -1;
    private Seq? _sourceSeq, _throughSeq, _checkpointedSeq;
    private readonly object _seqLock = new();

    public long DocsRead => Interlocked.Read(ref _docsRead);
    public long DocsWritten => Interlocked.Read(ref _docsWritten);
    public long DocWriteFailures => Interlocked.Read(ref _docWriteFailures);
    public long MissingRevisionsFound => Interlocked.Read(ref _missingFound);
    public long RevisionsChecked => Interlocked.Read(ref _revisionsChecked);

    /// <summary>Changes the source still has after what was read, when the feed says; otherwise null.</summary>
    public long? ChangesPending => Interlocked.Read(ref _changesPending) is var p && p >= 0 ? p : null;

    public Seq? SourceSeq { get { lock (_seqLock) return _sourceSeq; } set { lock (_seqLock) _sourceSeq = value; } }
    public Seq? ThroughSeq { get { lock (_seqLock) return _throughSeq; } set { lock (_seqLock) _throughSeq = value; } }
    public Seq? CheckpointedSourceSeq { get { lock (_seqLock) return _checkpointedSeq; } set { lock (_seqLock) _checkpointedSeq = value; } }

    public void AddDocsRead(long n) => Interlocked.Add(ref _docsRead, n);
    public void AddDocsWritten(long n) => Interlocked.Add(ref _docsWritten, n);
    public void AddDocWriteFailures(long n) => Interlocked.Add(ref _docWriteFailures, n);
    public void AddMissingFound(long n) => Interlocked.Add(ref _missingFound, n);
    public void AddRevisionsChecked(long n) => Interlocked.Add(ref _revisionsChecked, n);
    public void SetPending(long? pending) => Interlocked.Exchange(ref _changesPending, pending ?? -1);

    /// <summary>The counters as they are now, to measure one session of a task that restarted.</summary>
    public Counters Snapshot() => new(RevisionsChecked, MissingRevisionsFound, DocsRead, DocsWritten, DocWriteFailures);

    /// <summary>Copies the counters gained since <paramref name="baseline"/> into a history entry.</summary>
    public void CopyTo(CouchReplicationHistoryEntry entry, Counters baseline)
    {
        entry.MissingChecked = RevisionsChecked - baseline.MissingChecked;
        entry.MissingFound = MissingRevisionsFound - baseline.MissingFound;
        entry.DocsRead = DocsRead - baseline.DocsRead;
        entry.DocsWritten = DocsWritten - baseline.DocsWritten;
        entry.DocWriteFailures = DocWriteFailures - baseline.DocWriteFailures;
    }

    public readonly record struct Counters(long MissingChecked, long MissingFound, long DocsRead, long DocsWritten, long DocWriteFailures);
}
