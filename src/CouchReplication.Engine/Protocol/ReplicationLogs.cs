using CouchReplication.Database;
using CouchReplication.Json;



namespace CouchReplication.Protocol;

/// <summary>Where a run resumes, from the replication logs of source and target.</summary>
internal static class ReplicationLogs
{
    /// <summary>
    /// Where to resume, and the history the new session continues, by CouchDB's rule
    /// (<c>compare_replication_logs</c>): the same session on both sides resumes from the source
    /// log's last seq with its history; otherwise the histories are walked newest first, side by
    /// side, for a session both know, which gives its recorded seq and the history older than it;
    /// otherwise nothing: a start from the beginning with an empty history. The counters of the
    /// newest entry of that history are where the new session's counters start.
    /// </summary>
    public static (Seq? StartSeq, IReadOnlyList<CouchReplicationHistoryEntry> History) Compare(ReplicationLog? source, ReplicationLog? target)
    {
        if (source is null || target is null) return (null, []);
        if (source.SessionId is not null && source.SessionId == target.SessionId)
            return (source.SourceLastSeq ?? Seq.Zero, source.History);
        var sourceHistory = source.History;
        var targetHistory = target.History;
        for (int s = 0, t = 0; s < sourceHistory.Count && t < targetHistory.Count; s++, t++)
        {
            if (targetHistory.Skip(t).Any(h => h.SessionId == sourceHistory[s].SessionId))
                return (sourceHistory[s].Recorded, sourceHistory.Skip(s + 1).ToList());
            if (sourceHistory.Skip(s + 1).Any(h => h.SessionId == targetHistory[t].SessionId))
                return (targetHistory[t].Recorded, targetHistory.Skip(t + 1).ToList());
        }
        return (null, []);
    }
}
