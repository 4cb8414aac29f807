using System.Globalization;
using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication;

/// <summary>
/// One session of a replication as the replication log records it (newest first in
/// <see cref="CouchReplicationResult.History"/>). As in CouchDB 3, its counters are totals since
/// the replication began, not the session's share.
/// </summary>
public sealed class CouchReplicationHistoryEntry
{
    internal CouchReplicationHistoryEntry(string sessionId, DateTimeOffset startTime, Seq startLastSeq)
    {
        SessionId = sessionId;
        StartTime = startTime;
        EndTime = startTime;
        StartSeq = startLastSeq;
        EndSeq = startLastSeq;
        Recorded = startLastSeq;
    }

    /// <summary>The session this entry describes.</summary>
    public string SessionId { get; }

    /// <summary>When the session started.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>When the session last checkpointed or ended.</summary>
    public DateTimeOffset EndTime { get; internal set; }

    /// <summary>The source sequence the session started from.</summary>
    public string StartLastSeq => StartSeq.ToString();

    /// <summary>The source sequence the session had reached.</summary>
    public string EndLastSeq => EndSeq.ToString();

    /// <summary>The source sequence recorded in the checkpoint.</summary>
    public string RecordedSeq => Recorded.ToString();

    /// <summary>Revisions checked against the target (missing_checked).</summary>
    public long MissingChecked { get; internal set; }

    /// <summary>Revisions the target lacked (missing_found).</summary>
    public long MissingFound { get; internal set; }

    /// <summary>Documents read from the source.</summary>
    public long DocsRead { get; internal set; }

    /// <summary>Documents written to the target.</summary>
    public long DocsWritten { get; internal set; }

    /// <summary>Documents the target refused.</summary>
    public long DocWriteFailures { get; internal set; }

    internal Seq StartSeq { get; private init; }
    internal Seq EndSeq { get; set; }
    internal Seq Recorded { get; set; }

    /// <summary>The session id and the sequences it covered.</summary>
    public override string ToString() => $"{SessionId} {StartLastSeq} -> {RecordedSeq}: {DocsWritten} written";

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("session_id", SessionId);
        w.WriteString("start_time", StartTime.ToString("R", CultureInfo.InvariantCulture));
        w.WriteString("end_time", EndTime.ToString("R", CultureInfo.InvariantCulture));
        w.WritePropertyName("start_last_seq"); StartSeq.WriteTo(w);
        w.WritePropertyName("end_last_seq"); EndSeq.WriteTo(w);
        w.WritePropertyName("recorded_seq"); Recorded.WriteTo(w);
        w.WriteNumber("missing_checked", MissingChecked);
        w.WriteNumber("missing_found", MissingFound);
        w.WriteNumber("docs_read", DocsRead);
        w.WriteNumber("docs_written", DocsWritten);
        w.WriteNumber("doc_write_failures", DocWriteFailures);
        w.WriteEndObject();
    }

    internal static CouchReplicationHistoryEntry? Read(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("session_id", out var session) && session.GetString() is { } sessionId
            ? Read(e, sessionId)
            : null;

    /// <summary>Reads the counters and times of a replication log entry, or of an answer shaped like one.</summary>
    internal static CouchReplicationHistoryEntry Read(JsonElement e, string sessionId)
    {
        Seq SeqOf(string name) => e.TryGetProperty(name, out var v) ? Seq.From(v) : Seq.Zero;
        long Count(string name) => e.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
        DateTimeOffset Time(string name) => e.TryGetProperty(name, out var v) && DateTimeOffset.TryParse(v.GetString(),
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
        return new CouchReplicationHistoryEntry(sessionId, Time("start_time"), SeqOf("start_last_seq"))
        {
            EndTime = Time("end_time"),
            EndSeq = SeqOf("end_last_seq"),
            Recorded = SeqOf("recorded_seq"),
            MissingChecked = Count("missing_checked"),
            MissingFound = Count("missing_found"),
            DocsRead = Count("docs_read"),
            DocsWritten = Count("docs_written"),
            DocWriteFailures = Count("doc_write_failures"),
        };
    }
}
