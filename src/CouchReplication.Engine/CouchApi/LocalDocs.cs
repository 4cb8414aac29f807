using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary>
/// The replication log, <c>_local/&lt;replication id&gt;</c>, in CouchDB's shape. The same log is
/// kept on source and target; on start the two are compared to find where to resume.
/// </summary>
internal sealed record ReplicationLog
{
    /// <summary>CouchDB keeps this many sessions in a log.</summary>
    public const int MaxHistory = 50;

    /// <summary>The replication id scheme, as CouchDB 3 records it.</summary>
    public const int IdVersion = 4;

    public string? Rev { get; init; }
    public string? SessionId { get; init; }
    public Seq? SourceLastSeq { get; init; }
    public IReadOnlyList<CouchReplicationHistoryEntry> History { get; init; } = [];

    public static ReplicationLog Parse(JsonElement root) => new()
    {
        Rev = root.StringOf("_rev"),
        SessionId = root.StringOf("session_id"),
        SourceLastSeq = root.Field("source_last_seq") is { } seq ? Seq.From(seq) : null,
        History = root.ArrayOf("history").Select(CouchReplicationHistoryEntry.Read).OfType<CouchReplicationHistoryEntry>().ToList(),
    };

    /// <summary>Writes a log, at most <see cref="MaxHistory"/> sessions of it; <paramref name="rev"/> is the revision it replaces, if any.</summary>
    public static void Write(Utf8JsonWriter w, string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history)
    {
        w.WriteStartObject();
        w.WriteString("_id", LocalId(replicationId));
        if (rev is not null) w.WriteString("_rev", rev);
        w.WriteString("session_id", sessionId);
        w.WritePropertyName("source_last_seq"); sourceLastSeq.WriteTo(w);
        w.WriteNumber("replication_id_version", IdVersion);
        w.WriteStartArray("history");
        foreach (var entry in history.Take(MaxHistory)) entry.WriteTo(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static string LocalId(string replicationId) => "_local/" + replicationId;
}

/// <summary><c>GET</c> and <c>PUT /db/_local/&lt;replication id&gt;</c>: the replication logs.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<ReplicationLog?> ReadReplicationLogAsync(string replicationId, CancellationToken ct)
    {
        try
        {
            using var json = await _http.GetJsonAsync(DocPath.Of(ReplicationLog.LocalId(replicationId)), ct);
            return ReplicationLog.Parse(json.RootElement);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    public async Task<string?> WriteReplicationLogAsync(string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
        IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct)
    {
        var path = DocPath.Of(ReplicationLog.LocalId(replicationId));
        try
        {
            using var answer = await _http.PutJsonAsync(path, w => ReplicationLog.Write(w, replicationId, rev, sessionId, sourceLastSeq, history), ct);
            return answer.RootElement.StringOf("rev");
        }
        catch (CouchReplicationException e) when (e.StatusCode == 409)
        {
            // Someone else wrote the log (another run of the same replication): take its revision and write ours over it.
            var theirs = (await ReadReplicationLogAsync(replicationId, ct))?.Rev;
            using var answer = await _http.PutJsonAsync(path, w => ReplicationLog.Write(w, replicationId, theirs, sessionId, sourceLastSeq, history), ct);
            return answer.RootElement.StringOf("rev");
        }
    }
}
