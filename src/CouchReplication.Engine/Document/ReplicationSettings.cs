using CouchReplication.Json;



namespace CouchReplication.Document;

/// <summary>
/// A replication document checked and resolved into what the engine runs: parsed endpoints,
/// the filter, and every option with CouchDB's default where the document leaves it unset.
/// </summary>
internal sealed record ReplicationSettings
{
    public required CouchEndpoint Source { get; init; }
    public required CouchEndpoint Target { get; init; }
    public bool Continuous { get; init; }
    public bool CreateTarget { get; init; }
    public IDictionary<string, object?>? CreateTargetParams { get; init; }
    public required ChangesFilter Filter { get; init; }
    public Seq? SinceSeq { get; init; }
    public bool WinningRevsOnly { get; init; }
    public bool UseCheckpoints { get; init; }
    public TimeSpan CheckpointInterval { get; init; }
    public int WorkerProcesses { get; init; }
    public int WorkerBatchSize { get; init; }
    public required HttpSettings Http { get; init; }

    /// <summary>Whether each HTTP request and its answer are told to the task's user (-Debug); URLs redacted.</summary>
    public bool NarrateRequests { get; init; }

    /// <summary>Whether documents are fetched with <c>_bulk_get</c> (<c>use_bulk_get</c>); the engine also turns it off when the source lacks it.</summary>
    public bool UseBulkGet { get; init; }

    /// <summary>
    /// How long to wait before reading once more a revision the source did not give (CouchDB's
    /// <c>missing_doc_retry_msec</c>).
    /// </summary>
    public TimeSpan MissingRevisionRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a crashed replication waits before its first restart; it doubles each time.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between restarts.</summary>
    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The default of <see cref="OneShotRestarts"/>: five restarts wait 2 + 4 + 8 + 16 + 32 s,
    /// enough for a server over its open-shard limit to recover.
    /// </summary>
    public const int DefaultOneShotRestarts = 5;

    /// <summary>How often a crashed one-shot replication is restarted before it fails.</summary>
    public int OneShotRestarts { get; init; } = DefaultOneShotRestarts;

    /// <summary>Things in the document that are accepted but worth a warning.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// The fields CouchDB's replicator writes into a <c>_replicator</c> document: a document read
    /// back from a server carries them, and replaying it is no reason for a warning.
    /// </summary>
    internal static readonly HashSet<string> WrittenByCouchDb = new(StringComparer.Ordinal)
    {
        "_rev", "owner", "_replication_state", "_replication_state_time", "_replication_state_reason",
        "_replication_id", "_replication_stats", "_replication_history",
    };

    /// <summary>
    /// Checks every field before anything is sent and names the field in the error.
    /// </summary>
    public static ReplicationSettings From(CouchReplicationDoc doc, bool skipCertificateCheck = false)
    {
        var warnings = new List<string>();
        if (skipCertificateCheck)
            warnings.Add("TLS certificates of the source and target are not checked (-SkipCertificateCheck): anyone between here and there can read and change the data.");
        var sharedProxy = ProxySetting.Parse(doc.ProxyUrl, "proxy");
        var sourceProxy = ProxySetting.Parse(doc.SourceProxyUrl, "source_proxy");
        var targetProxy = ProxySetting.Parse(doc.TargetProxyUrl, "target_proxy");
        if (sharedProxy is not null && (sourceProxy ?? targetProxy) is not null)
            throw CouchReplicationException.InvalidArgument("proxy", "give either proxy or source_proxy/target_proxy, not both");

        var authentication = doc.Authentication ?? CouchAuthentication.Session;
        var source = CouchEndpoint.Parse(doc.SourceUrl, "source", doc.GivenSourceCredential, Headers(doc.SourceHeaders), sourceProxy ?? sharedProxy,
            IamSetting.From(doc.SourceIamApiKey, doc.IamTokenUrl), authentication);
        var target = CouchEndpoint.Parse(doc.TargetUrl, "target", doc.GivenTargetCredential, Headers(doc.TargetHeaders), targetProxy ?? sharedProxy,
            IamSetting.From(doc.TargetIamApiKey, doc.IamTokenUrl), authentication);
        if (source.DatabaseUri == target.DatabaseUri)
            throw CouchReplicationException.InvalidArgument("source and target", $"are the same database ({source.DatabaseUri})");

        var filter = ChangesFilter.From(doc);
        if (source.FilePath is not null && filter.Kind is not (ChangesFilterKind.None or ChangesFilterKind.DocIds or ChangesFilterKind.Selector))
            throw ChangesFilter.NotForFileSource();
        if (source.FilePath is not null) filter.Matcher?.RefuseWhatAFileCannotRun();

        foreach (var name in doc.AdditionalFields.Keys.Where(n => !WrittenByCouchDb.Contains(n)))
            warnings.Add($"Unknown replication document field '{name}' is kept but has no effect.");

        return new ReplicationSettings
        {
            Source = source,
            Target = target,
            Continuous = ReplicationDocFields.Flag(doc, nameof(doc.Continuous)),
            CreateTarget = ReplicationDocFields.Flag(doc, nameof(doc.CreateTarget)),
            CreateTargetParams = doc.CreateTargetParams,
            Filter = filter,
            SinceSeq = string.IsNullOrEmpty(doc.SinceSeq) ? null : Seq.FromUserText(doc.SinceSeq),
            WinningRevsOnly = ReplicationDocFields.Flag(doc, nameof(doc.WinningRevsOnly)),
            UseCheckpoints = ReplicationDocFields.Flag(doc, nameof(doc.UseCheckpoints)),
            UseBulkGet = ReplicationDocFields.Flag(doc, nameof(doc.UseBulkGet)),
            CheckpointInterval = TimeSpan.FromMilliseconds(ReplicationDocFields.Number(doc, nameof(doc.CheckpointInterval))),
            WorkerProcesses = ReplicationDocFields.Number(doc, nameof(doc.WorkerProcesses)),
            WorkerBatchSize = ReplicationDocFields.Number(doc, nameof(doc.WorkerBatchSize)),
            Http = new HttpSettings(
                ReplicationDocFields.Number(doc, nameof(doc.HttpConnections)),
                TimeSpan.FromMilliseconds(ReplicationDocFields.Number(doc, nameof(doc.ConnectionTimeout))),
                ReplicationDocFields.Number(doc, nameof(doc.RetriesPerRequest)))
            {
                SocketOptions = SocketOptions.Parse(doc.SocketOptions, warnings),
                SkipCertificateCheck = skipCertificateCheck,
            },
            Warnings = warnings,
        };
    }

    private static Dictionary<string, string> Headers(IDictionary<string, string>? headers) =>
        new(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
}
