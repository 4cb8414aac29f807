using System.Collections;
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

    /// <summary>The document id (<c>_id</c>), used for a persistent replication in <c>_replicator</c>.</summary>
    public string? Id { get; set; }

    /// <summary>The source database URL. Reading it gives the URL with its password masked.</summary>
    public string? Source
    {
        get => Redacted(SourceUrl);
        set => SourceUrl = value;
    }

    /// <summary>The target database URL. Reading it gives the URL with its password masked.</summary>
    public string? Target
    {
        get => Redacted(TargetUrl);
        set => TargetUrl = value;
    }

    /// <summary>Credentials for the source; they win over user info in the URL.</summary>
    public CouchCredential? SourceCredential { get; set; }

    /// <summary>Credentials for the target; they win over user info in the URL.</summary>
    public CouchCredential? TargetCredential { get; set; }

    /// <summary>Extra HTTP headers sent to the source (<c>source.headers</c>).</summary>
    public IDictionary<string, string>? SourceHeaders { get; set; }

    /// <summary>Extra HTTP headers sent to the target (<c>target.headers</c>).</summary>
    public IDictionary<string, string>? TargetHeaders { get; set; }

    /// <summary><c>continuous</c>: keep following the source's changes.</summary>
    public bool? Continuous { get; set; }

    /// <summary><c>create_target</c>: create the target database when it does not exist.</summary>
    public bool? CreateTarget { get; set; }

    /// <summary><c>create_target_params</c>: q, n, partitioned for the created target.</summary>
    public IDictionary<string, object?>? CreateTargetParams { get; set; }

    /// <summary><c>doc_ids</c>: replicate only these documents.</summary>
    public string[]? DocIds { get; set; }

    /// <summary><c>filter</c>: a filter function as <c>ddoc/name</c>, or <c>_view</c> with <c>query_params.view</c>.</summary>
    public string? Filter { get; set; }

    /// <summary><c>query_params</c>: parameters passed to the filter function.</summary>
    public IDictionary<string, object?>? QueryParams { get; set; }

    /// <summary><c>selector</c>: a Mango selector choosing the documents to replicate.</summary>
    public IDictionary<string, object?>? Selector { get; set; }

    /// <summary><c>since_seq</c>: the source sequence to start from when there is no checkpoint.</summary>
    public string? SinceSeq { get; set; }

    /// <summary><c>winning_revs_only</c>: replicate only winning revisions, no conflicts.</summary>
    public bool? WinningRevsOnly { get; set; }

    /// <summary><c>use_checkpoints</c>: write checkpoints (default true).</summary>
    public bool? UseCheckpoints { get; set; }

    /// <summary>
    /// <c>use_bulk_get</c>: read documents with <c>_bulk_get</c> (default true); false reads them one
    /// by one with <c>open_revs</c> and sends no <c>_bulk_get</c> at all.
    /// </summary>
    public bool? UseBulkGet { get; set; }

    /// <summary><c>checkpoint_interval</c> in milliseconds (default 30000).</summary>
    public int? CheckpointInterval { get; set; }

    /// <summary><c>proxy</c>: an HTTP proxy for both ends. Reading it masks its password.</summary>
    public string? Proxy { get => RedactedProxy(ProxyUrl); set => ProxyUrl = value; }

    /// <summary><c>source_proxy</c>: an HTTP proxy for the source only.</summary>
    public string? SourceProxy { get => RedactedProxy(SourceProxyUrl); set => SourceProxyUrl = value; }

    /// <summary><c>target_proxy</c>: an HTTP proxy for the target only.</summary>
    public string? TargetProxy { get => RedactedProxy(TargetProxyUrl); set => TargetProxyUrl = value; }

    /// <summary><c>worker_processes</c> (default 4).</summary>
    public int? WorkerProcesses { get; set; }

    /// <summary><c>worker_batch_size</c>: changes per batch (default 500).</summary>
    public int? WorkerBatchSize { get; set; }

    /// <summary><c>http_connections</c>: connections per server (default 20).</summary>
    public int? HttpConnections { get; set; }

    /// <summary><c>connection_timeout</c> in milliseconds (default 30000).</summary>
    public int? ConnectionTimeout { get; set; }

    /// <summary><c>retries_per_request</c> (default 5).</summary>
    public int? RetriesPerRequest { get; set; }

    /// <summary><c>socket_options</c> in CouchDB's Erlang syntax, e.g. <c>[{keepalive, true}, {nodelay, false}]</c>.</summary>
    public string? SocketOptions { get; set; }

    /// <summary><c>user_ctx</c>: the user a server's replicator runs a persistent replication as.</summary>
    public IDictionary<string, object?>? UserCtx { get; set; }

    /// <summary>Fields this module does not know, kept so the document round-trips.</summary>
    public IDictionary<string, object?> AdditionalFields
    {
        get => _additional;
        set => _additional = new Dictionary<string, object?>(value, StringComparer.Ordinal);
    }

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

    /// <summary>Source and target, passwords masked.</summary>
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

    private string? Redacted(string? url) =>
        url is null ? null : Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? Http.CouchEndpoint.Redact(uri, CouchCredential.FromUserInfo(uri)?.UserName)
            : Http.CouchEndpoint.RedactText(url);

    private static string? RedactedProxy(string? url) => url is null ? null : Http.CouchEndpoint.RedactText(url);
}
