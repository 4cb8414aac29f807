using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// Plain HTTP to a test server, independent of the engine: seeds databases and reads back what
/// a replication produced. Always sends Accept: application/json and a timeout (pouchdb-server
/// answers text/plain otherwise, and can hang).
/// </summary>
public sealed class CouchTestClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>For attachments of hundreds of megabytes, which a busy machine may take minutes to move.</summary>
    private readonly HttpClient _large;

    public CouchTestClient(Uri serverUrl)
    {
        _http = Client(serverUrl, TimeSpan.FromSeconds(60));
        _large = Client(serverUrl, TimeSpan.FromMinutes(10));
    }

    private static HttpClient Client(Uri serverUrl, TimeSpan timeout)
    {
        var root = new UriBuilder(serverUrl) { UserName = "", Password = "" }.Uri;
        var http = new HttpClient { BaseAddress = root, Timeout = timeout };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (serverUrl.UserInfo.Length > 0)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(serverUrl.UserInfo))));
        return http;
    }

    public async Task<bool> IsCouchDbAsync()
    {
        using var welcome = await GetJsonAsync("");
        return welcome.RootElement.TryGetProperty("couchdb", out _) && !welcome.RootElement.TryGetProperty("express-pouchdb", out _);
    }

    public async Task CreateDbAsync(string db) => (await SendAsync(HttpMethod.Put, db, null)).Dispose();

    public async Task DeleteDbAsync(string db) => (await SendAsync(HttpMethod.Delete, db, null)).Dispose();

    public async Task<HttpStatusCode> StatusAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return response.StatusCode;
    }

    public async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    /// <summary>Saves a document the normal way; returns its new revision.</summary>
    public async Task<string> PutDocAsync(string db, string id, object body)
    {
        using var answer = await SendAsync(HttpMethod.Put, $"{db}/{DocPath(id)}", PlainJson.Serialize(body));
        return answer.RootElement.GetProperty("rev").GetString()!;
    }

    /// <summary>POSTs JSON and reads the JSON answer.</summary>
    public Task<JsonDocument> PostJsonAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);

    /// <summary>Creates a user who is no server admin.</summary>
    public async Task CreateUserAsync(string name, string password) =>
        await PutDocAsync("_users", "org.couchdb.user:" + name,
            new Dictionary<string, object?> { ["name"] = name, ["password"] = password, ["roles"] = Array.Empty<string>(), ["type"] = "user" });

    /// <summary>Writes revisions exactly as given (<c>new_edits: false</c>), to build conflicts and histories.</summary>
    public async Task BulkDocsAsync(string db, IEnumerable<object> docs, bool newEdits)
    {
        var body = new Dictionary<string, object?> { ["docs"] = docs.ToList(), ["new_edits"] = newEdits };
        using var _ = await SendAsync(HttpMethod.Post, $"{db}/_bulk_docs", PlainJson.Serialize(body));
    }

    /// <summary>Runs a one-shot replication in the server's own replicator (<c>POST /_replicate</c>).</summary>
    public async Task ReplicateOnServerAsync(Dictionary<string, object?> document) =>
        (await SendAsync(HttpMethod.Post, "_replicate", PlainJson.Serialize(document))).Dispose();

    /// <summary>Adds an attachment to a document (creating it) from a stream; returns the new revision.</summary>
    public async Task<string> PutAttachmentAsync(string db, string id, string? rev, string name, string contentType, Stream data)
    {
        var path = $"{db}/{DocPath(id)}/{Uri.EscapeDataString(name)}" + (rev is null ? "" : $"?rev={rev}");
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StreamContent(data) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await _large.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"PUT {path}: {(int)response.StatusCode} {body}");
        using var answer = JsonDocument.Parse(body);
        return answer.RootElement.GetProperty("rev").GetString()!;
    }

    /// <summary>The SHA-256 of an attachment's content (of revision <paramref name="rev"/>, or the winning one), read as a stream.</summary>
    public async Task<string> AttachmentHashAsync(string db, string id, string name, string? rev = null)
    {
        using var response = await _large.GetAsync($"{db}/{DocPath(id)}/{Uri.EscapeDataString(name)}" + (rev is null ? "" : $"?rev={rev}"),
            HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        return Convert.ToHexString(await System.Security.Cryptography.SHA256.HashDataAsync(stream));
    }

    /// <summary>Sets a server configuration value through <c>/_node/_local/_config</c>.</summary>
    public async Task SetConfigAsync(string section, string key, string value) =>
        (await SendAsync(HttpMethod.Put, $"_node/_local/_config/{section}/{key}", JsonSerializer.Serialize(value))).Dispose();

    /// <summary>
    /// Gives a new user read and write access to a database: on CouchDB a <c>_users</c> user made
    /// a member of it, on pouchdb-server (no per-database security) a server admin.
    /// </summary>
    public async Task AddUserAsync(string user, string password, string db, bool couchDb)
    {
        if (!couchDb)
        {
            (await SendAsync(HttpMethod.Put, $"_config/admins/{Uri.EscapeDataString(user)}", JsonSerializer.Serialize(password))).Dispose();
            return;
        }
        (await SendAsync(HttpMethod.Put, $"_users/{Uri.EscapeDataString("org.couchdb.user:" + user)}", PlainJson.Serialize(new Dictionary<string, object?>
        {
            ["name"] = user, ["password"] = password, ["roles"] = Array.Empty<string>(), ["type"] = "user",
        }))).Dispose();
        await SetMembersAsync(db, user);
    }

    /// <summary>Makes <paramref name="users"/> the only members of a database (its <c>_security</c>): no one else may read or write it.</summary>
    public async Task SetMembersAsync(string db, params string[] users) =>
        (await SendAsync(HttpMethod.Put, $"{db}/_security", PlainJson.Serialize(new Dictionary<string, object?>
        {
            ["members"] = new Dictionary<string, object?> { ["names"] = users },
        }))).Dispose();

    /// <summary>Every document id the database knows, deleted ones included.</summary>
    public async Task<IReadOnlyList<string>> AllIdsAsync(string db)
    {
        using var changes = await GetJsonAsync($"{db}/_changes?style=all_docs");
        return changes.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("id").GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A document's full revision tree: every leaf with its history, body and attachment stubs, canonical JSON.</summary>
    public async Task<string> RevisionTreeAsync(string db, string id)
    {
        using var leaves = await GetJsonAsync($"{db}/{DocPath(id)}?open_revs=all&revs=true&att_encoding_info=true");
        var docs = leaves.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("ok", out _))
            .Select(e => PlainJson.ToPlain(e.GetProperty("ok")))
            .OrderBy(d => (string)((Dictionary<string, object?>)d!)["_rev"]!, StringComparer.Ordinal)
            .ToList();
        return PlainJson.Serialize(docs, canonical: true);
    }

    /// <summary>Every document's revision tree, by id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(string db)
    {
        var trees = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in await AllIdsAsync(db))
            if (!id.StartsWith("_local/", StringComparison.Ordinal)) trees[id] = await RevisionTreeAsync(db, id);
        return trees;
    }

    public static string DocPath(string id) =>
        id.StartsWith("_design/", StringComparison.Ordinal) ? "_design/" + Uri.EscapeDataString(id[8..])
        : id.StartsWith("_local/", StringComparison.Ordinal) ? "_local/" + Uri.EscapeDataString(id[7..])
        : Uri.EscapeDataString(id);

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    public void Dispose()
    {
        _http.Dispose();
        _large.Dispose();
    }
}
