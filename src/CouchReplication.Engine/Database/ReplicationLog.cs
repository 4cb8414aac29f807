using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

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
