using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>
/// Plain HTTP to the server under test, independent of the engine: seeding, the server's own
/// replicator, the raw copy, the latency probe and clean-up. Always sends
/// <c>Accept: application/json</c> (pouchdb-server answers text/plain otherwise) and a timeout.
/// </summary>
internal sealed class CouchClient : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);
    private readonly HttpClient _http;
    private readonly CancellationToken _stopping;

    public CouchClient(Uri serverUrl, CancellationToken stopping)
    {
        Root = new UriBuilder(serverUrl) { UserName = "", Password = "" }.Uri;
        ServerUrl = serverUrl;
        _stopping = stopping;
        // No Accept-Encoding (a gzipping pouchdb-server would hold back a continuous feed), and
        // enough connections for the raw copy's parallel batches and 100 replications' setup.
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, AutomaticDecompression = DecompressionMethods.None, UseCookies = false };
        _http = new HttpClient(handler) { BaseAddress = Root, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (serverUrl.UserInfo.Length > 0)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(serverUrl.UserInfo))));
    }

    /// <summary>The server root without credentials.</summary>
    public Uri Root { get; }

    /// <summary>The server root with credentials, as given.</summary>
    public Uri ServerUrl { get; }

    /// <summary>A database URL with credentials, for the engine and the server's replicator.</summary>
    public string DbUrl(string db) => new Uri(ServerUrl, db).AbsoluteUri;

    public Task<JsonDocument> GetAsync(string path, TimeSpan? timeout = null) => SendAsync(HttpMethod.Get, path, null, timeout);

    public Task<JsonDocument> PostAsync(string path, Action<Utf8JsonWriter> body, TimeSpan? timeout = null) => SendAsync(HttpMethod.Post, path, body, timeout);

    /// <summary>Posts <c>{"<paramref name="array"/>": [...]}</c> with one element written per item, to <c>_bulk_docs</c>, <c>_all_docs</c> and the like.</summary>
    public Task<JsonDocument> PostArrayAsync<T>(string path, string array, IEnumerable<T> items, Action<Utf8JsonWriter, T> write) =>
        PostAsync(path, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray(array);
            foreach (var item in items) write(writer, item);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    public Task<JsonDocument> PutAsync(string path, Action<Utf8JsonWriter>? body = null) => SendAsync(HttpMethod.Put, path, body, null);

    public Task<JsonDocument> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null, null);

    /// <summary>Sends a request and parses its JSON answer; a non-2xx status throws with the server's words.</summary>
    public async Task<JsonDocument> SendAsync(HttpMethod method, string path, Action<Utf8JsonWriter>? body, TimeSpan? timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent(body) };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(deadline.Token)}");
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        return await JsonDocument.ParseAsync(stream, cancellationToken: deadline.Token);
    }

    /// <summary>Opens a long answer (a continuous changes feed); the caller reads and disposes it.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken ct)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode}");
    }

    /// <summary>
    /// Copies one document revision with its attachments as the server stores them: its
    /// multipart/related answer to <paramref name="from"/> is sent on, as it arrives, as the body of
    /// a PUT to <paramref name="to"/>.
    /// </summary>
    public async Task RelayMultipartAsync(string from, string to)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        deadline.CancelAfter(DefaultTimeout);
        using var get = new HttpRequestMessage(HttpMethod.Get, from);
        get.Headers.Accept.Clear();
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("multipart/related"));
        using var source = await _http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        if (!source.IsSuccessStatusCode) throw new HttpRequestException($"GET {from}: {(int)source.StatusCode}");
        var body = new StreamContent(await source.Content.ReadAsStreamAsync(deadline.Token), 64 * 1024);
        body.Headers.ContentType = source.Content.Headers.ContentType;
        body.Headers.ContentLength = source.Content.Headers.ContentLength;
        using var put = new HttpRequestMessage(HttpMethod.Put, to) { Content = body };
        using var answer = await _http.SendAsync(put, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        if (!answer.IsSuccessStatusCode)
            throw new HttpRequestException($"PUT {to}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(deadline.Token)}");
    }

    /// <summary>The server's welcome line: its name and version.</summary>
    public async Task<(bool IsCouchDb, string Description)> IdentifyAsync()
    {
        using var welcome = await GetAsync("");
        var root = welcome.RootElement;
        var version = root.TryGetProperty("version", out var v) ? v.GetString() : "?";
        return root.TryGetProperty("express-pouchdb", out _) ? (false, $"pouchdb-server (express-pouchdb {version})") : (true, $"Apache CouchDB {version}");
    }

    /// <summary>
    /// Waits until the server has no compaction or indexing running, so a measurement does not
    /// pay for the previous phase's background work (pouchdb-server always answers []).
    /// </summary>
    public async Task WaitUntilQuietAsync(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            using var tasks = await GetAsync("_active_tasks");
            if (!tasks.RootElement.EnumerateArray().Any(t => t.GetProperty("type").GetString() != "replication")) return;
            await Task.Delay(500, _stopping);
        }
    }

    /// <summary>
    /// Compacts a database and returns its file size once compaction is done (<c>sizes.file</c>);
    /// null when the server does not report it (pouchdb-server).
    /// </summary>
    public async Task<long?> CompactedSizeAsync(string db, TimeSpan limit)
    {
        (await PostAsync($"{db}/_compact", w => { w.WriteStartObject(); w.WriteEndObject(); })).Dispose();
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            using var info = await GetAsync(db);
            var running = info.RootElement.TryGetProperty("compact_running", out var c) && c.ValueKind == JsonValueKind.True;
            if (!running || DateTime.UtcNow > until)
                return info.RootElement.TryGetProperty("sizes", out var sizes) && sizes.TryGetProperty("file", out var file) ? file.GetInt64() : null;
            await Task.Delay(500, _stopping);
        }
    }

    /// <summary>Deletes every database whose name starts with <paramref name="prefix"/>.</summary>
    public async Task DeleteDatabasesAsync(string prefix)
    {
        using var all = await GetAsync("_all_dbs");
        foreach (var db in all.RootElement.EnumerateArray().Select(d => d.GetString()!).Where(d => d.StartsWith(prefix, StringComparison.Ordinal)))
            (await DeleteAsync(Uri.EscapeDataString(db))).Dispose();
    }

    /// <summary>The body is written into one buffer: simpler than streaming, and cheap next to the server's work.</summary>
    private static ReadOnlyMemoryContent JsonContent(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true })) write(writer);
        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public void Dispose() => _http.Dispose();
}
