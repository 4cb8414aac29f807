using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// One entry of a server's <c>/_active_tasks</c>, of any type, as a <see cref="CouchActiveTask"/>:
/// the fields it has properties for, and every other field in
/// <see cref="CouchActiveTask.AdditionalFields"/>. Every text a server sends back is masked
/// before anyone sees it, in case a URL in it carries a password.
/// </summary>
internal static partial class ActiveTaskJson
{
    private static readonly HashSet<string> Mapped =
    [
        "replication_id", "type", "source", "target", "continuous", "docs_read", "docs_written", "doc_write_failures",
        "missing_revisions_found", "revisions_checked", "changes_pending", "source_seq", "checkpointed_source_seq",
        "through_seq", "started_on", "updated_on", "user", "doc_id", "database", "checkpoint_interval", "progress", "node",
    ];

    /// <summary>A task the server is running: the scheduler, where there is one, may say otherwise.</summary>
    public static CouchActiveTask Read(JsonElement e) => Counters(e) with
    {
        ReplicationId = e.StringOf("replication_id"),
        Type = e.StringOf("type") ?? "unknown",
        State = CouchReplicationState.Running,
        Source = Masked(e.StringOf("source")),
        Target = Masked(e.StringOf("target")),
        Continuous = e.BoolOf("continuous") ?? IsContinuous(e.StringOf("replication_id")),
        StartedOn = e.TimeOf("started_on"),
        UpdatedOn = e.TimeOf("updated_on"),
        User = e.StringOf("user"),
        Node = e.StringOf("node"),
        DocId = e.StringOf("doc_id"),
        Database = DatabaseName(e.StringOf("database")),
        CheckpointInterval = (int?)e.LongOf("checkpoint_interval"),
        Progress = (int?)e.LongOf("progress"),
        AdditionalFields = Extras(e, Mapped),
    };

    /// <summary>The replication counters and sequences of an <c>_active_tasks</c> entry or a scheduler's <c>info</c>.</summary>
    public static CouchActiveTask Counters(JsonElement e) => new()
    {
        DocsRead = e.LongOf("docs_read") ?? 0,
        DocsWritten = e.LongOf("docs_written") ?? 0,
        DocWriteFailures = e.LongOf("doc_write_failures") ?? 0,
        MissingRevisionsFound = e.LongOf("missing_revisions_found") ?? 0,
        RevisionsChecked = e.LongOf("revisions_checked") ?? 0,
        ChangesPending = e.LongOf("changes_pending"),
        SourceSeq = e.SeqOf("source_seq"),
        CheckpointedSourceSeq = e.SeqOf("checkpointed_source_seq"),
        ThroughSeq = e.SeqOf("through_seq"),
    };

    /// <summary>The fields of <paramref name="e"/> not in <paramref name="mapped"/>, as plain values with masked text.</summary>
    public static IReadOnlyDictionary<string, object?> Extras(JsonElement e, IReadOnlySet<string> mapped) =>
        e.EnumerateObject().Where(p => !mapped.Contains(p.Name))
            .ToDictionary(p => p.Name, p => MaskedPlain(PlainJson.ToPlain(p.Value)), StringComparer.Ordinal);

    /// <summary>Whether a replication id names a continuous job, for answers without a <c>continuous</c> field.</summary>
    public static bool IsContinuous(string? replicationId) => replicationId?.Contains("+continuous", StringComparison.Ordinal) == true;

    public static string? Masked(string? text) => text is null ? null : CouchEndpoint.RedactText(text);

    /// <summary>
    /// A database name from what a server reports: CouchDB names a clustered database's shard
    /// (<c>shards/00000000-7fffffff/_replicator.1795317689</c>) where the user knows <c>_replicator</c>.
    /// </summary>
    public static string? DatabaseName(string? database) =>
        database is not null && ShardPath().Match(database) is { Success: true } shard ? shard.Groups[1].Value : database;

    private static object? MaskedPlain(object? value) => value switch
    {
        string text => CouchEndpoint.RedactText(text),
        Dictionary<string, object?> fields => fields.ToDictionary(f => f.Key, f => MaskedPlain(f.Value), StringComparer.Ordinal),
        IList items => items.Cast<object?>().Select(MaskedPlain).ToArray(),
        _ => value,
    };

    [GeneratedRegex(@"^shards/[0-9a-f]+-[0-9a-f]+/(.+)\.[0-9]+$")]
    private static partial Regex ShardPath();
}
