using CouchReplication.Database;
using CouchReplication.Json;



namespace CouchReplication.Protocol;

/// <summary>
/// Records how far the replication has safely come and writes it to both replication logs.
/// Batches finish out of order; the checkpoint only ever names the last sequence below which
/// every batch is written, so a resumed run can never skip a document. Owned by the run, which
/// alone tells it of finished batches and asks it to checkpoint. <c>previousHistory</c> is the
/// history this session continues, newest first (<c>ReplicationLogs.Compare</c>); <c>stats</c>, the
/// counters the session's history entry records, is only read here.
/// </summary>
internal sealed class Checkpointer(ICouchDatabase source, ICouchDatabase target, string replicationId, string sessionId, Seq startSeq,
    ReplicationLog? sourceLog, ReplicationLog? targetLog, IReadOnlyList<CouchReplicationHistoryEntry> previousHistory,
    ReplicationStats stats, bool enabled, Action<string> log)
{
    private readonly SortedDictionary<long, Seq> _finished = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _nextOrdinal;
    private Seq _through = startSeq, _checkpointed = startSeq;
    private string? _sourceRev = sourceLog?.Rev, _targetRev = targetLog?.Rev;

    /// <summary>This session's entry, kept up to date with every checkpoint.</summary>
    public CouchReplicationHistoryEntry Session { get; } = NewSession(sessionId, startSeq, stats);

    /// <summary>The log's history as the last checkpoint wrote it, newest first.</summary>
    public IReadOnlyList<CouchReplicationHistoryEntry> History => [Session, .. previousHistory.Take(ReplicationLog.MaxHistory - 1)];

    /// <summary>The sequence below which every batch is written (through_seq).</summary>
    public Seq ThroughSeq { get { lock (_finished) return _through; } }

    /// <summary>The sequence the logs on both sides last recorded (checkpointed_source_seq).</summary>
    public Seq CheckpointedSeq { get { lock (_finished) return _checkpointed; } }

    /// <summary>Marks a batch written; advances the safe sequence over every batch now contiguous.</summary>
    public void Finished(ChangesBatch batch)
    {
        lock (_finished)
        {
            _finished[batch.Ordinal] = batch.LastSeq;
            while (_finished.Remove(_nextOrdinal, out var seq))
            {
                _through = seq;
                _nextOrdinal++;
            }
        }
    }

    /// <summary>Writes the safe sequence to both logs, if it moved since the last checkpoint.</summary>
    public async Task CheckpointAsync(CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        try
        {
            var through = ThroughSeq;
            stats.CopyTo(Session);
            Session.EndTime = DateTimeOffset.UtcNow;
            Session.EndSeq = through;
            Session.Recorded = through;
            if (!enabled || through == CheckpointedSeq) return;

            var history = History;
            _sourceRev = await source.WriteReplicationLogAsync(replicationId, _sourceRev, Session.SessionId, through, history, ct);
            _targetRev = await target.WriteReplicationLogAsync(replicationId, _targetRev, Session.SessionId, through, history, ct);
            lock (_finished) _checkpointed = through;
            log($"Checkpoint at {through} written to _local/{replicationId} on source and target");
        }
        finally
        {
            _writing.Release();
        }
    }

    private static CouchReplicationHistoryEntry NewSession(string sessionId, Seq startSeq, ReplicationStats stats)
    {
        var session = new CouchReplicationHistoryEntry(sessionId, DateTimeOffset.UtcNow, startSeq);
        stats.CopyTo(session);
        return session;
    }
}
