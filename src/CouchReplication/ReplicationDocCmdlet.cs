using System.Collections;
using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// The replication-document parameters shared by New-CouchReplicationDoc and
/// Start-CouchReplication: one per document field, named as the README lists them, with the JSON field
/// name as an alias.
/// </summary>
public abstract class ReplicationDocCmdlet : PSCmdlet
{
    /// <summary>The parameter set of the document fields.</summary>
    protected const string DocumentSet = "Document";

    /// <summary>The source database URL (credentials in it are masked wherever it is shown).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DocumentSet)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    /// <summary>The target database URL.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = DocumentSet)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    /// <summary>The document id (<c>_id</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("_id")]
    public string? Id { get; set; }

    /// <summary>Keep following the source's changes (<c>continuous</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public SwitchParameter Continuous { get; set; }

    /// <summary>Create the target database when it does not exist (<c>create_target</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("create_target")]
    public SwitchParameter CreateTarget { get; set; }

    /// <summary>q, n and partitioned for the created target (<c>create_target_params</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("create_target_params")]
    public Hashtable? CreateTargetParams { get; set; }

    /// <summary>Replicate only these document ids (<c>doc_ids</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("doc_ids")]
    public string[]? DocIds { get; set; }

    /// <summary>A filter function as <c>ddoc/name</c>, or <c>_view</c> (<c>filter</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public string? Filter { get; set; }

    /// <summary>Parameters for the filter function (<c>query_params</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("query_params")]
    public Hashtable? QueryParams { get; set; }

    /// <summary>A Mango selector as a hashtable or JSON text (<c>selector</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public object? Selector { get; set; }

    /// <summary>The source sequence to start from when there is no checkpoint (<c>since_seq</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("since_seq")]
    public string? SinceSeq { get; set; }

    /// <summary>Replicate winning revisions only (<c>winning_revs_only</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("winning_revs_only")]
    public SwitchParameter WinningRevsOnly { get; set; }

    /// <summary>Write checkpoints; <c>-UseCheckpoints:$false</c> writes nothing to either side (<c>use_checkpoints</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("use_checkpoints")]
    public SwitchParameter UseCheckpoints { get; set; }

    /// <summary>Read documents with <c>_bulk_get</c>; <c>-UseBulkGet:$false</c> reads them one by one with <c>open_revs</c> (<c>use_bulk_get</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("use_bulk_get")]
    public SwitchParameter UseBulkGet { get; set; }

    /// <summary>Milliseconds between checkpoints (<c>checkpoint_interval</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("checkpoint_interval")]
    public int CheckpointInterval { get; set; }

    /// <summary>An HTTP proxy for both ends (<c>proxy</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public string? Proxy { get; set; }

    /// <summary>An HTTP proxy for the source (<c>source_proxy</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("source_proxy")]
    public string? SourceProxy { get; set; }

    /// <summary>An HTTP proxy for the target (<c>target_proxy</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("target_proxy")]
    public string? TargetProxy { get; set; }

    /// <summary>Parallel workers (<c>worker_processes</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("worker_processes")]
    public int WorkerProcesses { get; set; }

    /// <summary>Changes per batch (<c>worker_batch_size</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("worker_batch_size")]
    public int WorkerBatchSize { get; set; }

    /// <summary>Connections per server (<c>http_connections</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("http_connections")]
    public int HttpConnections { get; set; }

    /// <summary>Milliseconds to wait for an answer (<c>connection_timeout</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("connection_timeout")]
    public int ConnectionTimeout { get; set; }

    /// <summary>Retries of a failed request (<c>retries_per_request</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("retries_per_request")]
    public int RetriesPerRequest { get; set; }

    /// <summary>Socket options in CouchDB's syntax (<c>socket_options</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("socket_options")]
    public string? SocketOptions { get; set; }

    /// <summary>The user a server runs a persistent replication as (<c>user_ctx</c>).</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Alias("user_ctx")]
    public Hashtable? UserCtx { get; set; }

    /// <summary>Credentials for the source; they win over user info in the URL.</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Credential]
    public PSCredential? SourceCredential { get; set; }

    /// <summary>Credentials for the target.</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    [Credential]
    public PSCredential? TargetCredential { get; set; }

    /// <summary>Extra HTTP headers for the source.</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public Hashtable? SourceHeaders { get; set; }

    /// <summary>Extra HTTP headers for the target.</summary>
    [Parameter(ParameterSetName = DocumentSet)]
    public Hashtable? TargetHeaders { get; set; }

    /// <summary>Builds the document from the bound parameters; unbound ones stay unset.</summary>
    protected CouchReplicationDoc BuildDoc()
    {
        var bound = MyInvocation.BoundParameters;
        bool? Flag(string name, SwitchParameter value) => bound.ContainsKey(name) ? value.IsPresent : null;
        int? Number(string name, int value) => bound.ContainsKey(name) ? value : null;
        Dictionary<string, string>? Headers(Hashtable? headers) =>
            PSValues.Dictionary(headers)?.ToDictionary(h => h.Key, h => Convert.ToString(h.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");

        var doc = new CouchReplicationDoc
        {
            Id = Id,
            Source = Source,
            Target = Target,
            SourceCredential = PSValues.Credential(SourceCredential),
            TargetCredential = PSValues.Credential(TargetCredential),
            SourceHeaders = Headers(SourceHeaders),
            TargetHeaders = Headers(TargetHeaders),
            Continuous = Flag(nameof(Continuous), Continuous),
            CreateTarget = Flag(nameof(CreateTarget), CreateTarget),
            CreateTargetParams = PSValues.Dictionary(CreateTargetParams),
            DocIds = DocIds,
            Filter = Filter,
            QueryParams = PSValues.Dictionary(QueryParams),
            SinceSeq = SinceSeq,
            WinningRevsOnly = Flag(nameof(WinningRevsOnly), WinningRevsOnly),
            UseCheckpoints = Flag(nameof(UseCheckpoints), UseCheckpoints),
            UseBulkGet = Flag(nameof(UseBulkGet), UseBulkGet),
            CheckpointInterval = Number(nameof(CheckpointInterval), CheckpointInterval),
            Proxy = Proxy,
            SourceProxy = SourceProxy,
            TargetProxy = TargetProxy,
            WorkerProcesses = Number(nameof(WorkerProcesses), WorkerProcesses),
            WorkerBatchSize = Number(nameof(WorkerBatchSize), WorkerBatchSize),
            HttpConnections = Number(nameof(HttpConnections), HttpConnections),
            ConnectionTimeout = Number(nameof(ConnectionTimeout), ConnectionTimeout),
            RetriesPerRequest = Number(nameof(RetriesPerRequest), RetriesPerRequest),
            SocketOptions = SocketOptions,
            UserCtx = PSValues.Dictionary(UserCtx),
        };
        if (Selector is not null) doc.SetField("selector", PSValues.ToPlain(Selector));
        return doc;
    }
}
