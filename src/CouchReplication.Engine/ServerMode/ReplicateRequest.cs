using System.Collections;
using System.Text.Json;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// A replication document as a server's replicator takes it, for <c>_replicate</c> or a
/// <c>_replicator</c> document. It carries the endpoints' passwords, which the server needs to
/// replicate: CouchDB 2 and later take them as <c>{"url": ..., "auth": {"basic": ...}}</c>; servers
/// without a scheduler (pouchdb-server, CouchDB 1.x) ignore <c>auth</c> and take them as user
/// info in the URL. Nothing of it is ever shown: <see cref="Source"/> and <see cref="Target"/> are
/// the masked URLs.
/// </summary>
internal sealed class ReplicateRequest
{
    private readonly Dictionary<string, object?> _fields;

    private ReplicateRequest(Dictionary<string, object?> fields, ReplicationSettings settings)
    {
        _fields = fields;
        Continuous = settings.Continuous;
        Source = settings.Source.Redacted;
        Target = settings.Target.Redacted;
    }

    public bool Continuous { get; }

    public string Source { get; }

    public string Target { get; }

    /// <summary>Checks the document as the engine would: nothing is sent for an invalid one.</summary>
    public static ReplicateRequest From(CouchReplicationDoc doc)
    {
        var settings = ReplicationSettings.From(doc);
        if ((settings.Source.FilePath ?? settings.Target.FilePath) is { } file)
            throw CouchReplicationException.InvalidArgument(settings.Source.FilePath is null ? "target" : "source",
                $"'{file}' is a database file on this machine, which a server's replicator cannot reach; replicate without -Server");
        var fields = doc.ToDictionary(includeCredentials: true);
        // A _replicator document's id is in its URL, and _replicate has no use for one.
        fields.Remove("_id");
        return new ReplicateRequest(fields, settings);
    }

    /// <summary>
    /// The document as <paramref name="server"/> takes it, for <c>POST /_replicate</c> or a
    /// <c>_replicator</c> document; with <paramref name="cancel"/>, the request that cancels the
    /// replication it started.
    /// </summary>
    public Action<Utf8JsonWriter> Body(ServerDialect server, bool cancel = false)
    {
        var fields = new Dictionary<string, object?>(_fields, StringComparer.Ordinal);
        foreach (var end in new[] { "source", "target" })
            fields[end] = server.Endpoint(fields[end]);
        if (cancel) fields["cancel"] = true;
        return writer => PlainJson.Write(writer, fields);
    }

    public override string ToString() => $"{Source} -> {Target}";

    /// <summary>An endpoint with <c>auth.basic</c> turned into a URL with user info (headers stay beside it).</summary>
    public static object? WithUserInfo(object? endpoint)
    {
        if (endpoint is not IDictionary<string, object?> fields || fields["url"] is not string url
            || !fields.TryGetValue("auth", out var auth) || auth is not IDictionary authFields || authFields["basic"] is not IDictionary basic)
            return endpoint;
        var uri = new Uri(url);
        var withUser = $"{uri.Scheme}://{Uri.EscapeDataString((string)basic["username"]!)}:{Uri.EscapeDataString(basic["password"] as string ?? "")}@{uri.Authority}{uri.PathAndQuery}";
        if (!fields.TryGetValue("headers", out var headers)) return withUser;
        return new Dictionary<string, object?>(StringComparer.Ordinal) { ["url"] = withUser, ["headers"] = headers };
    }
}
