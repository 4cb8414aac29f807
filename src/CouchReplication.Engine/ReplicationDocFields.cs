using System.Collections;
using System.Globalization;
using CouchReplication.Json;

namespace CouchReplication;

/// <summary>
/// The table of replication-document fields: JSON name, property name, and how each is read and
/// written. One table serves <c>ToJson</c>, <c>FromJson</c> and hashtable input alike.
/// </summary>
internal static class ReplicationDocFields
{
    private sealed record Field(string Json, string Property, Func<CouchReplicationDoc, object?> Get, Action<CouchReplicationDoc, object?> Set);

    private static readonly Field[] Fields =
    [
        new("_id", nameof(CouchReplicationDoc.Id), d => d.Id, (d, v) => d.Id = AsString(v, "_id")),
        new("continuous", nameof(CouchReplicationDoc.Continuous), d => d.Continuous, (d, v) => d.Continuous = AsBool(v, "continuous")),
        new("create_target", nameof(CouchReplicationDoc.CreateTarget), d => d.CreateTarget, (d, v) => d.CreateTarget = AsBool(v, "create_target")),
        new("create_target_params", nameof(CouchReplicationDoc.CreateTargetParams), d => d.CreateTargetParams, (d, v) => d.CreateTargetParams = AsObject(v, "create_target_params")),
        new("doc_ids", nameof(CouchReplicationDoc.DocIds), d => d.DocIds, (d, v) => d.DocIds = AsStrings(v, "doc_ids")),
        new("filter", nameof(CouchReplicationDoc.Filter), d => d.Filter, (d, v) => d.Filter = AsString(v, "filter")),
        new("query_params", nameof(CouchReplicationDoc.QueryParams), d => d.QueryParams, (d, v) => d.QueryParams = AsObject(v, "query_params")),
        new("selector", nameof(CouchReplicationDoc.Selector), d => d.Selector, (d, v) => d.Selector = AsObject(v, "selector")),
        new("since_seq", nameof(CouchReplicationDoc.SinceSeq), d => SeqValue(d.SinceSeq), (d, v) => d.SinceSeq = AsSeqText(v)),
        new("winning_revs_only", nameof(CouchReplicationDoc.WinningRevsOnly), d => d.WinningRevsOnly, (d, v) => d.WinningRevsOnly = AsBool(v, "winning_revs_only")),
        new("use_checkpoints", nameof(CouchReplicationDoc.UseCheckpoints), d => d.UseCheckpoints, (d, v) => d.UseCheckpoints = AsBool(v, "use_checkpoints")),
        new("use_bulk_get", nameof(CouchReplicationDoc.UseBulkGet), d => d.UseBulkGet, (d, v) => d.UseBulkGet = AsBool(v, "use_bulk_get")),
        new("checkpoint_interval", nameof(CouchReplicationDoc.CheckpointInterval), d => d.CheckpointInterval, (d, v) => d.CheckpointInterval = AsInt(v, "checkpoint_interval")),
        new("proxy", nameof(CouchReplicationDoc.Proxy), d => d.ProxyUrl, (d, v) => d.Proxy = AsString(v, "proxy")),
        new("source_proxy", nameof(CouchReplicationDoc.SourceProxy), d => d.SourceProxyUrl, (d, v) => d.SourceProxy = AsString(v, "source_proxy")),
        new("target_proxy", nameof(CouchReplicationDoc.TargetProxy), d => d.TargetProxyUrl, (d, v) => d.TargetProxy = AsString(v, "target_proxy")),
        new("worker_processes", nameof(CouchReplicationDoc.WorkerProcesses), d => d.WorkerProcesses, (d, v) => d.WorkerProcesses = AsInt(v, "worker_processes")),
        new("worker_batch_size", nameof(CouchReplicationDoc.WorkerBatchSize), d => d.WorkerBatchSize, (d, v) => d.WorkerBatchSize = AsInt(v, "worker_batch_size")),
        new("http_connections", nameof(CouchReplicationDoc.HttpConnections), d => d.HttpConnections, (d, v) => d.HttpConnections = AsInt(v, "http_connections")),
        new("connection_timeout", nameof(CouchReplicationDoc.ConnectionTimeout), d => d.ConnectionTimeout, (d, v) => d.ConnectionTimeout = AsInt(v, "connection_timeout")),
        new("retries_per_request", nameof(CouchReplicationDoc.RetriesPerRequest), d => d.RetriesPerRequest, (d, v) => d.RetriesPerRequest = AsInt(v, "retries_per_request")),
        new("socket_options", nameof(CouchReplicationDoc.SocketOptions), d => d.SocketOptions, (d, v) => d.SocketOptions = AsString(v, "socket_options")),
        new("user_ctx", nameof(CouchReplicationDoc.UserCtx), d => d.UserCtx, (d, v) => d.UserCtx = AsObject(v, "user_ctx")),
    ];

    public static Dictionary<string, object?> Write(CouchReplicationDoc doc, bool includeCredentials)
    {
        var json = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (doc.Id is not null) json["_id"] = doc.Id;
        json["source"] = Endpoint(doc.SourceUrl, doc.SourceCredential, doc.SourceHeaders, includeCredentials);
        json["target"] = Endpoint(doc.TargetUrl, doc.TargetCredential, doc.TargetHeaders, includeCredentials);
        foreach (var field in Fields.Skip(1))
            if (field.Get(doc) is { } value) json[field.Json] = value;
        foreach (var (name, value) in doc.AdditionalFields) json.TryAdd(name, value);
        return json;
    }

    public static CouchReplicationDoc Read(IDictionary fields)
    {
        var doc = new CouchReplicationDoc();
        foreach (var (name, value) in PlainJson.Entries(fields)) Set(doc, name, value);
        return doc;
    }

    /// <summary>Sets one field by its JSON or property name, converting the value as the field needs.</summary>
    public static void Set(CouchReplicationDoc doc, string name, object? value)
    {
        if (Is(name, "source", nameof(CouchReplicationDoc.Source)))
            ReadEndpoint(value, "source", url => doc.Source = url, c => doc.SourceCredential = c, h => doc.SourceHeaders = h);
        else if (Is(name, "target", nameof(CouchReplicationDoc.Target)))
            ReadEndpoint(value, "target", url => doc.Target = url, c => doc.TargetCredential = c, h => doc.TargetHeaders = h);
        else if (Fields.FirstOrDefault(f => Is(name, f.Json, f.Property)) is { } field)
            field.Set(doc, value);
        else
            doc.AdditionalFields[name] = value;
    }

    private static bool Is(string name, string json, string property) =>
        string.Equals(name, json, StringComparison.OrdinalIgnoreCase) || string.Equals(name, property, StringComparison.OrdinalIgnoreCase);

    private static object? Endpoint(string? url, CouchCredential? credential, IDictionary<string, string>? headers, bool includeCredentials)
    {
        if (url is null) return null;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            credential ??= CouchCredential.FromUserInfo(uri);
            url = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
        }
        if (credential is null && (headers is null || headers.Count == 0)) return url;
        var endpoint = new Dictionary<string, object?>(StringComparer.Ordinal) { ["url"] = url };
        if (headers is { Count: > 0 }) endpoint["headers"] = headers.ToDictionary(h => h.Key, h => (object?)h.Value);
        if (credential is not null)
        {
            var basic = new Dictionary<string, object?> { ["username"] = credential.UserName };
            if (includeCredentials) basic["password"] = credential.Password;
            endpoint["auth"] = new Dictionary<string, object?> { ["basic"] = basic };
        }
        return endpoint;
    }

    private static void ReadEndpoint(object? value, string field, Action<string?> url, Action<CouchCredential?> credential,
        Action<IDictionary<string, string>?> headers)
    {
        if (value is null or string) { url((string?)value); return; }
        var endpoint = AsObject(value, field)!;
        url(endpoint.TryGetValue("url", out var u) ? AsString(u, field + ".url") : null);
        if (endpoint.TryGetValue("headers", out var h) && AsObject(h, field + ".headers") is { } map)
            headers(map.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.OrdinalIgnoreCase));
        if (endpoint.TryGetValue("auth", out var a) && AsObject(a, field + ".auth") is { } auth
            && auth.TryGetValue("basic", out var b) && AsObject(b, field + ".auth.basic") is { } basic)
        {
            var user = basic.TryGetValue("username", out var n) ? AsString(n, field + ".auth.basic.username") : null;
            if (string.IsNullOrEmpty(user)) throw CouchReplicationException.InvalidArgument(field + ".auth.basic", "needs a username");
            credential(new CouchCredential(user, basic.TryGetValue("password", out var p) ? AsString(p, field + ".auth.basic.password") ?? "" : ""));
        }
    }

    private static string? AsString(object? value, string field) => value switch
    {
        null => null,
        string s => s,
        IDictionary or IList => throw CouchReplicationException.InvalidArgument(field, "must be a string"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>since_seq as CouchDB's JSON has it: integer sequences stay numbers.</summary>
    private static object? SeqValue(string? text)
    {
        if (text is null) return null;
        using var json = System.Text.Json.JsonDocument.Parse(Seq.FromUserText(text).RawJson);
        return PlainJson.ToPlain(json.RootElement);
    }

    private static string? AsSeqText(object? value) => value switch
    {
        null => null,
        string s => s,
        IDictionary or IList => PlainJson.Serialize(value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static bool? AsBool(object? value, string field) => value switch
    {
        null => null,
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        _ => throw CouchReplicationException.InvalidArgument(field, $"must be true or false, not '{value}'"),
    };

    private static int? AsInt(object? value, string field)
    {
        switch (value)
        {
            case null: return null;
            case int i: return i;
            case long or short or byte: return checked((int)Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case double d when d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue: return (int)d;
            case string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): return n;
            default: throw CouchReplicationException.InvalidArgument(field, $"must be a whole number, not '{value}'");
        }
    }

    private static string[]? AsStrings(object? value, string field) => value switch
    {
        null => null,
        string s => [s],
        IEnumerable items => items.Cast<object?>().Select(i => AsString(i, field) ?? throw CouchReplicationException.InvalidArgument(field, "must not contain null")).ToArray(),
        _ => throw CouchReplicationException.InvalidArgument(field, "must be a list of document ids"),
    };

    private static IDictionary<string, object?>? AsObject(object? value, string field) => value switch
    {
        null => null,
        string s => PlainJson.ParseObject(s, field),
        IDictionary map => PlainJson.Entries(map).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        _ => throw CouchReplicationException.InvalidArgument(field, "must be an object (a hashtable or JSON text)"),
    };
}
