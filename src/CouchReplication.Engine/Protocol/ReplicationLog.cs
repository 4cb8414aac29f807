using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// The replication log, <c>_local/&lt;replication id&gt;</c>, in CouchDB's shape. The same log is
/// kept on source and target; on start the two are compared to find where to resume.
/// </summary>
internal sealed class ReplicationLog
{
    /// <summary>CouchDB keeps this many sessions in a log.</summary>
    public const int MaxHistory = 50;

    /// <summary>The replication id scheme, as CouchDB 3 records it.</summary>
    public const int IdVersion = 4;

    public string? Rev { get; set; }
    public string? SessionId { get; init; }
    public Seq? SourceLastSeq { get; init; }
    public IReadOnlyList<CouchReplicationHistoryEntry> History { get; init; } = [];

    public static async Task<ReplicationLog?> ReadAsync(CouchHttp http, string replicationId, CancellationToken ct)
    {
        try
        {
            using var json = await http.GetJsonAsync(DocPath.Of("_local/" + replicationId), ct);
            var root = json.RootElement;
            return new ReplicationLog
            {
                Rev = root.TryGetProperty("_rev", out var rev) ? rev.GetString() : null,
                SessionId = root.TryGetProperty("session_id", out var s) ? s.GetString() : null,
                SourceLastSeq = root.TryGetProperty("source_last_seq", out var seq) ? Seq.From(seq) : null,
                History = root.TryGetProperty("history", out var h) && h.ValueKind == JsonValueKind.Array
                    ? h.EnumerateArray().Select(CouchReplicationHistoryEntry.Read).OfType<CouchReplicationHistoryEntry>().ToList()
                    : [],
            };
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

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

    /// <summary>Writes this log (with <paramref name="rev"/> as the revision it replaces); returns the new revision.</summary>
    public static async Task<string?> WriteAsync(CouchHttp http, string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct)
    {
        var path = DocPath.Of("_local/" + replicationId);
        void Body(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("_id", "_local/" + replicationId);
            if (rev is not null) w.WriteString("_rev", rev);
            w.WriteString("session_id", sessionId);
            w.WritePropertyName("source_last_seq"); sourceLastSeq.WriteTo(w);
            w.WriteNumber("replication_id_version", IdVersion);
            w.WriteStartArray("history");
            foreach (var entry in history.Take(MaxHistory)) entry.WriteTo(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        try
        {
            using var answer = await http.PutJsonAsync(path, Body, ct);
            return answer.RootElement.TryGetProperty("rev", out var r) ? r.GetString() : null;
        }
        catch (CouchReplicationException e) when (e.StatusCode == 409)
        {
            // Someone else wrote the log (another run of the same replication): take its revision and write ours over it.
            rev = (await ReadAsync(http, replicationId, ct))?.Rev;
            using var answer = await http.PutJsonAsync(path, Body, ct);
            return answer.RootElement.TryGetProperty("rev", out var r) ? r.GetString() : null;
        }
    }
}
