using System.Collections;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication;

/// <summary>
/// A CouchDB/Cloudant replication document: one property per field, <see cref="ToJson(bool)"/> for
/// CouchDB's JSON and <see cref="FromJson"/> for the way back. Unset fields are null and take
/// CouchDB's defaults. Times are in milliseconds, as in the document.
/// </summary>
public sealed class CouchReplicationDoc
{
    private Dictionary<string, object?> _additional = new(StringComparer.Ordinal);
    private CouchCredential? _sourceCredential, _targetCredential;

    /// <summary>The document id (<c>_id</c>), used for a persistent replication in <c>_replicator</c>.</summary>
    [ReplicationDocField("_id")]
    public string? Id { get; set; }

    /// <summary>
    /// The source database URL, or the path of a database file (anything that is not an http:// or
    /// https:// URL: see <see cref="IsDatabaseFile"/>). Read back, a URL has no user info: the user
    /// name is in <see cref="SourceCredential"/>, the password nowhere, so a URL copied from here
    /// never carries a mask that looks like a password.
    /// </summary>
    public string? Source
    {
        get => WithoutUserInfo(SourceUrl);
        set => SourceUrl = value;
    }

    /// <summary>The target database URL or database file path; read back without user info, as <see cref="Source"/>.</summary>
    public string? Target
    {
        get => WithoutUserInfo(TargetUrl);
        set => TargetUrl = value;
    }

    /// <summary>Credentials for the source; they win over user info in the URL, which they show when none are given.</summary>
    public CouchCredential? SourceCredential
    {
        get => _sourceCredential ?? UserInfo(SourceUrl);
        set => _sourceCredential = value;
    }

    /// <summary>Credentials for the target; they win over user info in the URL, which they show when none are given.</summary>
    public CouchCredential? TargetCredential
    {
        get => _targetCredential ?? UserInfo(TargetUrl);
        set => _targetCredential = value;
    }

    /// <summary>
    /// An IBM Cloud IAM API key for the source (<c>source.auth.iam.api_key</c>, Cloudant's form),
    /// instead of a password: exchanged for bearer tokens at the IAM token endpoint
    /// (<see cref="IamTokenUrl"/>), renewed before they expire. ToJson leaves the key out unless asked.
    /// </summary>
    public CouchIamApiKey? SourceIamApiKey { get; set; }

    /// <summary>An IBM Cloud IAM API key for the target (<c>target.auth.iam.api_key</c>), as <see cref="SourceIamApiKey"/>.</summary>
    public CouchIamApiKey? TargetIamApiKey { get; set; }

    /// <summary>
    /// The IAM token endpoint that exchanges API keys for tokens: when not given, the environment
    /// variable <c>CLOUDANT_AUTH_URL</c> (as IBM's Cloudant SDKs read it), else
    /// <c>https://iam.cloud.ibm.com</c>. A base URL gets <c>/identity/token</c> appended. A setting
    /// of this module, not a document field: ToJson never writes it.
    /// </summary>
    public string? IamTokenUrl { get; set; }

    /// <summary>
    /// How user names and passwords are proved: <c>Session</c> (the default, as CouchDB's replicator
    /// does: one <c>_session</c> login per server and user, then its cookie; basic auth where the
    /// server has no <c>_session</c>) or <c>Basic</c> (the password on every request). A setting of
    /// this module, not a document field: ToJson never writes it.
    /// </summary>
    public CouchAuthentication? Authentication { get; set; }

    /// <summary>Extra HTTP headers sent to the source (<c>source.headers</c>).</summary>
    public IDictionary<string, string>? SourceHeaders { get; set; }

    /// <summary>Extra HTTP headers sent to the target (<c>target.headers</c>).</summary>
    public IDictionary<string, string>? TargetHeaders { get; set; }

    /// <summary><c>continuous</c>: keep following the source's changes.</summary>
    [ReplicationDocField("continuous", Default = false)]
    public bool? Continuous { get; set; }

    /// <summary><c>create_target</c>: create the target database when it does not exist.</summary>
    [ReplicationDocField("create_target", Default = false)]
    public bool? CreateTarget { get; set; }

    /// <summary><c>create_target_params</c>: q, n, partitioned for the created target.</summary>
    [ReplicationDocField("create_target_params")]
    public IDictionary<string, object?>? CreateTargetParams { get; set; }

    /// <summary><c>doc_ids</c>: replicate only these documents.</summary>
    [ReplicationDocField("doc_ids")]
    public string[]? DocIds { get; set; }

    /// <summary><c>filter</c>: a filter function as <c>ddoc/name</c>, or <c>_view</c> with <c>query_params.view</c>.</summary>
    [ReplicationDocField("filter")]
    public string? Filter { get; set; }

    /// <summary><c>query_params</c>: parameters passed to the filter function.</summary>
    [ReplicationDocField("query_params")]
    public IDictionary<string, object?>? QueryParams { get; set; }

    /// <summary><c>selector</c>: a Mango selector choosing the documents to replicate.</summary>
    [ReplicationDocField("selector", AcceptsJsonText = true)]
    public IDictionary<string, object?>? Selector { get; set; }

    /// <summary><c>since_seq</c>: the source sequence to start from when there is no checkpoint.</summary>
    [ReplicationDocField("since_seq", IsSequence = true)]
    public string? SinceSeq { get; set; }

    /// <summary><c>winning_revs_only</c>: replicate only winning revisions, no conflicts.</summary>
    [ReplicationDocField("winning_revs_only", Default = false)]
    public bool? WinningRevsOnly { get; set; }

    /// <summary><c>use_checkpoints</c>: write checkpoints; false (<c>-UseCheckpoints:$false</c>) writes nothing to either side and starts over each time.</summary>
    [ReplicationDocField("use_checkpoints", Default = true)]
    public bool? UseCheckpoints { get; set; }

    /// <summary>
    /// <c>use_bulk_get</c>: read documents with <c>_bulk_get</c>; false (<c>-UseBulkGet:$false</c>)
    /// reads them one by one with <c>open_revs</c> and sends no <c>_bulk_get</c> at all.
    /// </summary>
    [ReplicationDocField("use_bulk_get", Default = true)]
    public bool? UseBulkGet { get; set; }

    /// <summary><c>checkpoint_interval</c>: milliseconds between checkpoints while the replication runs.</summary>
    [ReplicationDocField("checkpoint_interval", Default = 30000, Minimum = 1)]
    public int? CheckpointInterval { get; set; }

    /// <summary><c>proxy</c>: an HTTP proxy for both ends. Reading it masks its password.</summary>
    [ReplicationDocField("proxy", Unmasked = nameof(ProxyUrl))]
    public string? Proxy { get => RedactedProxy(ProxyUrl); set => ProxyUrl = value; }

    /// <summary><c>source_proxy</c>: an HTTP proxy for the source only.</summary>
    [ReplicationDocField("source_proxy", Unmasked = nameof(SourceProxyUrl))]
    public string? SourceProxy { get => RedactedProxy(SourceProxyUrl); set => SourceProxyUrl = value; }

    /// <summary><c>target_proxy</c>: an HTTP proxy for the target only.</summary>
    [ReplicationDocField("target_proxy", Unmasked = nameof(TargetProxyUrl))]
    public string? TargetProxy { get => RedactedProxy(TargetProxyUrl); set => TargetProxyUrl = value; }

    /// <summary><c>worker_processes</c>: how many batches are replicated at once.</summary>
    [ReplicationDocField("worker_processes", Default = 4, Minimum = 1)]
    public int? WorkerProcesses { get; set; }

    /// <summary><c>worker_batch_size</c>: changes per batch.</summary>
    [ReplicationDocField("worker_batch_size", Default = 500, Minimum = 1)]
    public int? WorkerBatchSize { get; set; }

    /// <summary><c>http_connections</c>: the most connections open to each end at once.</summary>
    [ReplicationDocField("http_connections", Default = 20, Minimum = 1)]
    public int? HttpConnections { get; set; }

    /// <summary><c>connection_timeout</c>: milliseconds a request may wait in silence for the server.</summary>
    [ReplicationDocField("connection_timeout", Default = 30000, Minimum = 1)]
    public int? ConnectionTimeout { get; set; }

    /// <summary><c>retries_per_request</c>: how often a failed request is tried again, with backoff, before the replication fails.</summary>
    [ReplicationDocField("retries_per_request", Default = 5, Minimum = 0)]
    public int? RetriesPerRequest { get; set; }

    /// <summary><c>socket_options</c> in CouchDB's Erlang syntax, e.g. <c>[{keepalive, true}, {nodelay, false}]</c>.</summary>
    [ReplicationDocField("socket_options")]
    public string? SocketOptions { get; set; }

    /// <summary><c>user_ctx</c>: the user a server's replicator runs a persistent replication as.</summary>
    [ReplicationDocField("user_ctx")]
    public IDictionary<string, object?>? UserCtx { get; set; }

    /// <summary>
    /// For a document read back from a server (Get-CouchReplicationDoc): the state of its
    /// replication there, from <c>_scheduler/docs</c> or the document's <c>_replication_state</c>;
    /// null for a document built here. Not a document field: ToJson never writes it.
    /// </summary>
    public CouchReplicationState? State { get; internal set; }

    /// <summary>For a document read back from a server: why its replication crashed or failed, as the server says (passwords masked).</summary>
    public string? StateReason { get; internal set; }

    /// <summary>Fields this module does not know, kept so the document round-trips.</summary>
    public IDictionary<string, object?> AdditionalFields
    {
        get => _additional;
        set => _additional = new Dictionary<string, object?>(value, StringComparer.Ordinal);
    }

    /// <summary>The credentials given as such, not read from the URL: they win over its user info.</summary>
    internal CouchCredential? GivenSourceCredential => _sourceCredential;

    /// <inheritdoc cref="GivenSourceCredential"/>
    internal CouchCredential? GivenTargetCredential => _targetCredential;

    internal string? SourceUrl { get; private set; }
    internal string? TargetUrl { get; private set; }
    internal string? ProxyUrl { get; private set; }
    internal string? SourceProxyUrl { get; private set; }
    internal string? TargetProxyUrl { get; private set; }

    /// <summary>
    /// CouchDB's JSON for this document, snake_case field names. Passwords are left out unless
    /// <paramref name="includeCredentials"/> is set (to post the document to a server yourself).
    /// </summary>
    public string ToJson(bool includeCredentials = false) => PlainJson.Serialize(ToDictionary(includeCredentials), indented: true);

    /// <summary>
    /// Checks every field as a replication would, before anything is sent: throws a
    /// <see cref="CouchReplicationException"/> of kind <see cref="CouchErrorKind.InvalidArgument"/>
    /// naming the field, or returns what is accepted but worth a warning.
    /// </summary>
    public IReadOnlyList<string> Validate() => ReplicationSettings.From(this).Warnings;

    /// <summary>
    /// Masks the password in every URL of <paramref name="text"/> (<c>http://user:*****@host</c>),
    /// even where the text does not parse as a URL: what an error or a log may show of user input.
    /// </summary>
    public static string MaskCredentials(string text) => CouchEndpoint.RedactText(text);

    /// <summary>
    /// Whether <paramref name="url"/> names a database file (SQLite, this module's format) rather
    /// than a database on a server: an absolute http:// or https:// URL is a server's database;
    /// a file: URL and anything else (./orders.couchdb, C:\backup\orders.couchdb) is a file's path.
    /// </summary>
    public static bool IsDatabaseFile(string? url) => DatabaseFilePath.IsPath(url);

    /// <summary>Source and target, without user info.</summary>
    public override string ToString() => $"{Source} -> {Target}";

    /// <summary>Reads a replication document from CouchDB JSON.</summary>
    public static CouchReplicationDoc FromJson(string json) => FromDictionary(PlainJson.ParseObject(json, "replication document"));

    /// <summary>
    /// Reads a replication document from its fields by their JSON names (<c>create_target</c>) or
    /// property names (<c>CreateTarget</c>), case-insensitively. Unknown fields land in
    /// <see cref="AdditionalFields"/>.
    /// </summary>
    public static CouchReplicationDoc FromDictionary(IDictionary fields) => ReplicationDocFields.Read(fields);

    /// <summary>
    /// Sets a field by its JSON name (<c>selector</c>) or property name (<c>Selector</c>), taking
    /// the value in any form the JSON allows: a selector as a dictionary or as JSON text.
    /// </summary>
    public void SetField(string name, object? value) => ReplicationDocFields.Set(this, name, value);

    internal Dictionary<string, object?> ToDictionary(bool includeCredentials) => ReplicationDocFields.Write(this, includeCredentials);

    /// <summary>A copy with every field, credential and setting, to change without touching this one.</summary>
    public CouchReplicationDoc Copy()
    {
        var copy = FromJson(ToJson(includeCredentials: true));
        copy.IamTokenUrl = IamTokenUrl;
        copy.Authentication = Authentication;
        return copy;
    }

    private static string? WithoutUserInfo(string? url) =>
        url is null ? null : Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri
            : CouchEndpoint.RedactText(url);

    private static CouchCredential? UserInfo(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? CouchCredential.FromUserInfo(uri) : null;

    private static string? RedactedProxy(string? url) => url is null ? null : CouchEndpoint.RedactText(url);
}
