using CouchReplication.CouchApi;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// Records how far the replication has safely come and writes it to both replication logs.
/// Batches finish out of order; the checkpoint only ever names the last sequence below which
/// every batch is written, so a resumed run can never skip a document. Owned by the run, which
/// alone tells it of finished batches and asks it to checkpoint.
/// </summary>
internal sealed class Checkpointer
{
    private readonly ICouchDatabase _source, _target;
    private readonly string _replicationId;
    private readonly ReplicationStats _stats;
    private readonly Action<string> _log;
    private readonly bool _enabled;
    private readonly SortedDictionary<long, Seq> _finished = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly IReadOnlyList<CouchReplicationHistoryEntry> _previousHistory;
    private long _nextOrdinal;
    private Seq _through, _checkpointed;
    private string? _sourceRev, _targetRev;

    // previousHistory: the history this session continues, newest first (ReplicationLogs.Compare);
    // stats: the counters the session's history entry records (read only here).
    public Checkpointer(ICouchDatabase source, ICouchDatabase target, string replicationId, string sessionId, Seq startSeq,
        ReplicationLog? sourceLog, ReplicationLog? targetLog, IReadOnlyList<CouchReplicationHistoryEntry> previousHistory,
        ReplicationStats stats, bool enabled, Action<string> log)
    {
        _source = source;
        _target = target;
        _replicationId = replicationId;
        _stats = stats;
        _enabled = enabled;
        _log = log;
        _sourceRev = sourceLog?.Rev;
        _targetRev = targetLog?.Rev;
        _previousHistory = previousHistory;
        _through = _checkpointed = startSeq;
        Session = new CouchReplicationHistoryEntry(sessionId, DateTimeOffset.UtcNow, startSeq);
        stats.CopyTo(Session);
    }

    /// <summary>This session's entry, kept up to date with every checkpoint.</summary>
    public CouchReplicationHistoryEntry Session { get; }

    /// <summary>The log's history as the last checkpoint wrote it, newest first.</summary>
    public IReadOnlyList<CouchReplicationHistoryEntry> History => [Session, .. _previousHistory.Take(ReplicationLog.MaxHistory - 1)];

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
            _stats.CopyTo(Session);
            Session.EndTime = DateTimeOffset.UtcNow;
            Session.EndSeq = through;
            Session.Recorded = through;
            if (!_enabled || through == CheckpointedSeq) return;

            var history = History;
            _sourceRev = await _source.WriteReplicationLogAsync(_replicationId, _sourceRev, Session.SessionId, through, history, ct);
            _targetRev = await _target.WriteReplicationLogAsync(_replicationId, _targetRev, Session.SessionId, through, history, ct);
            lock (_finished) _checkpointed = through;
            _log($"Checkpoint at {through} written to _local/{_replicationId} on source and target");
        }
        finally
        {
            _writing.Release();
        }
    }
}
