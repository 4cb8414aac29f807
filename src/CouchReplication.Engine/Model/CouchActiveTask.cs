namespace CouchReplication;

/// <summary>
/// A task as <c>_active_tasks</c> shows it, fields in PascalCase: one of this session's
/// replications, or a server's task of any type (replication, indexer, database_compaction ...).
/// </summary>
public sealed record CouchActiveTask
{
    private readonly int? _progress;

    /// <summary>The task id: the replication id with <c>+continuous</c> / <c>+create_target</c> as CouchDB appends them.</summary>
    public string? ReplicationId { get; init; }

    /// <summary>The task type: <c>replication</c>, or for a server's other tasks <c>indexer</c>, <c>database_compaction</c> ...</summary>
    public string Type { get; init; } = "replication";

    /// <summary>The task types CouchDB's <c>_active_tasks</c> shows, for completion.</summary>
    public static IReadOnlyList<string> KnownTypes { get; } =
        ["replication", "indexer", "database_compaction", "view_compaction", "search_indexer"];

    /// <summary>
    /// For a server's task (<c>-Server</c>): the server's URL, without user info; null for this
    /// session's replications. Stop-CouchReplication given the task stops it on that server.
    /// </summary>
    public string? Server { get; init; }

    /// <summary>
    /// For a server's task: the node that runs it (CouchDB's <c>node</c>, such as
    /// <c>couchdb@10.0.0.2</c>); in a cluster, each replication runs on one node, whichever node
    /// was asked. Null where the server does not say (a single node before CouchDB 2, pouchdb-server).
    /// </summary>
    public string? Node { get; init; }

    /// <summary>
    /// For a server's replication: every node that has a job for its replication id. Usually one;
    /// for a while after a node leaves or rejoins a cluster, several (one running, the others
    /// crashed or pending), and <see cref="Node"/>, <see cref="State"/> and <see cref="Error"/>
    /// are the running one's. Empty where the server has no scheduler or no job for it yet.
    /// </summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>The scheduler state.</summary>
    public CouchReplicationState State { get; init; }

    /// <summary>For a Pending replication of this session: its place in the scheduler's queue (1 runs next).</summary>
    public int? QueuePosition { get; init; }

    /// <summary>The source URL, password masked.</summary>
    public string? Source { get; init; }

    /// <summary>The target URL, password masked.</summary>
    public string? Target { get; init; }

    /// <summary>Whether the replication is continuous.</summary>
    public bool Continuous { get; init; }

    /// <summary>docs_read: revisions read from the source, in total since the replication began (CouchDB 3 carries totals over from the checkpoint).</summary>
    public long DocsRead { get; init; }

    /// <summary>docs_written: revisions the target took, in total since the replication began.</summary>
    public long DocsWritten { get; init; }

    /// <summary>doc_write_failures: revisions the target refused (forbidden, too large, illegal id ...), in total since the replication began.</summary>
    public long DocWriteFailures { get; init; }

    /// <summary>missing_revisions_found: revisions the target lacked, in total since the replication began.</summary>
    public long MissingRevisionsFound { get; init; }

    /// <summary>revisions_checked: leaf revisions from the changes feed compared with the target, in total since the replication began.</summary>
    public long RevisionsChecked { get; init; }

    /// <summary>changes_pending, when the source reports it.</summary>
    public long? ChangesPending { get; init; }

    /// <summary>source_seq: the last sequence read from the changes feed.</summary>
    public string? SourceSeq { get; init; }

    /// <summary>checkpointed_source_seq: the last sequence written to the replication logs.</summary>
    public string? CheckpointedSourceSeq { get; init; }

    /// <summary>through_seq: the last sequence below which everything is written.</summary>
    public string? ThroughSeq { get; init; }

    /// <summary>When the replication started.</summary>
    public DateTimeOffset? StartedOn { get; init; }

    /// <summary>When its counters last changed.</summary>
    public DateTimeOffset? UpdatedOn { get; init; }

    /// <summary>The user the server runs the replication as.</summary>
    public string? User { get; init; }

    /// <summary>The <c>_replicator</c> document id of a persistent replication.</summary>
    public string? DocId { get; init; }

    /// <summary>
    /// The database the task belongs to: the replicator database of a persistent replication, the
    /// indexed or compacted database of other tasks (a shard's path reduced to the database name).
    /// </summary>
    public string? Database { get; init; }

    /// <summary>checkpoint_interval in milliseconds.</summary>
    public int? CheckpointInterval { get; init; }

    /// <summary>
    /// Percent done: the server's <c>progress</c> field where it gives one (indexer, compaction),
    /// otherwise the known changes checked so far, or null while the source has not said how many
    /// are pending.
    /// </summary>
    public int? Progress
    {
        get => _progress ?? (ChangesPending is { } pending && RevisionsChecked + pending > 0
            ? (int)(100 * RevisionsChecked / (RevisionsChecked + pending))
            : null);
        init => _progress = value;
    }

    /// <summary>The last error, if any.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// A server's fields that have no property here, by their JSON names: <c>pid</c>,
    /// <c>design_document</c>, <c>changes_done</c>, <c>total_changes</c>, the scheduler's
    /// <c>history</c> ... Passwords in them are masked.
    /// </summary>
    public IReadOnlyDictionary<string, object?> AdditionalFields { get; init; } = new Dictionary<string, object?>();

    /// <summary>Id, state and progress on one line.</summary>
    public override string ToString() => Type == "replication"
        ? $"{ReplicationId ?? DocId} {State}: {DocsWritten} written, {ChangesPending?.ToString() ?? "?"} pending"
        : $"{Type} {Database} {State}: {Progress?.ToString() ?? "?"}%";
}
