namespace CouchReplication;

/// <summary>
/// The outcome of a one-shot replication, shaped like the answer of CouchDB's <c>_replicate</c>.
/// </summary>
public sealed class CouchReplicationResult
{
    /// <summary>True when the replication ran to the end.</summary>
    public bool Ok { get; init; }

    /// <summary>
    /// The replication id (names the checkpoint documents); empty for a one-shot replication run
    /// by a server (<c>-Server</c>), whose answer does not name it.
    /// </summary>
    public string ReplicationId { get; init; } = "";

    /// <summary>This run's session id.</summary>
    public string SessionId { get; init; } = "";

    /// <summary>The source sequence the replication reached and checkpointed.</summary>
    public string SourceLastSeq { get; init; } = "";

    /// <summary>True when the source had no changes since the last checkpoint.</summary>
    public bool NoChanges { get; init; }

    /// <summary>The source URL, password masked.</summary>
    public string Source { get; init; } = "";

    /// <summary>The target URL, password masked.</summary>
    public string Target { get; init; } = "";

    /// <summary>
    /// The replication log's sessions, newest (this run) first. As in CouchDB 3, each entry's
    /// counters are totals since the replication began, not that session's share.
    /// </summary>
    public CouchReplicationHistoryEntry[] History { get; init; } = [];

    /// <summary>Documents read from the source in this run (the history's totals less those it started from).</summary>
    public long DocsRead { get; init; }

    /// <summary>Documents written to the target in this run.</summary>
    public long DocsWritten { get; init; }

    /// <summary>Documents the target refused in this run; the history's <c>DocWriteFailures</c> keeps those of earlier runs too.</summary>
    public long DocWriteFailures { get; init; }

    /// <summary>The documents the target refused, with CouchDB's reasons (at most 1000 are kept).</summary>
    public CouchDocWriteFailure[] Failures { get; init; } = [];

    /// <summary>
    /// How long the replication took, as the caller waited: from its start (time spent waiting for
    /// a turn and restarts after crashes included) to its end; for <c>-Server</c>, the server's
    /// <c>_replicate</c> call.
    /// </summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        $"{(Ok ? "ok" : "not ok")}: {Source} -> {Target}, {DocsWritten} written, {DocWriteFailures} failed, last seq {SourceLastSeq}, {Duration.TotalSeconds:0.0} s";
}
