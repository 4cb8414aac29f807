using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace CouchReplication.Tests.Servers;

/// <summary>A request as the proxy saw it.</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The body's size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>When the proxy received it.</summary>
    public DateTime At { get; init; } = DateTime.UtcNow;

    /// <summary>What became of it, once it is over: the fault it met, the server's status, how long it took; null while in flight.</summary>
    public string? Outcome { get; set; }

    /// <summary>The database the request is for (the first path segment).</summary>
    public string Database => PathAndQuery.TrimStart('/').Split('/', '?')[0];

    /// <summary>The CouchDB endpoint the request is for: <c>_changes</c>, <c>_revs_diff</c>, <c>_bulk_get</c>, <c>_bulk_docs</c>, <c>_local</c>, or <c>other</c>.</summary>
    public string Kind => new[] { "_changes", "_revs_diff", "_bulk_get", "_bulk_docs", "_local" }
        .FirstOrDefault(k => PathAndQuery.Contains("/" + k, StringComparison.Ordinal)) ?? "other";
}

/// <summary>What the proxy does to a request instead of (or before) forwarding it.</summary>
public abstract record Fault
{
    /// <summary>Answer with this status and a CouchDB-style error body, optionally with Retry-After.</summary>
    public sealed record Status(int Code, int? RetryAfterSeconds = null) : Fault;

    /// <summary>Hold the request this long before forwarding it.</summary>
    public sealed record Stall(TimeSpan Delay) : Fault;

    /// <summary>Drop the connection without an answer.</summary>
    public sealed record Reset : Fault;

    /// <summary>Forward, but announce the whole body and send only its first half before dropping the connection.</summary>
    public sealed record CutShort : Fault;

    /// <summary>Forward the answer in small pieces with a pause between them.</summary>
    public sealed record Trickle(int PieceSize, TimeSpan Pause) : Fault;

    /// <summary>Answer with this status, content type and body (an HTML error page, malformed JSON, a redirect).</summary>
    public sealed record Answer(int Code, string ContentType, string Body, string? Location = null) : Fault;

    /// <summary>
    /// A fault inside a correct-looking exchange: forward the request with its body changed by
    /// <paramref name="Request"/> (a document left out of a write), and answer with the server's
    /// status and its body changed by <paramref name="Response"/> (an error entry in place of a
    /// document). Either may be null to leave that side as it is.
    /// </summary>
    public sealed record Rewrite(Func<string, string>? Request = null, Func<string, string>? Response = null) : Fault;
}

/// <summary>
/// A reverse proxy on loopback in front of a test server: forwards every request, records it,
/// counts how many are in flight at once (overall and per endpoint), and answers chosen requests
/// with a fault. Lets the tests observe what the engine sends and make the network misbehave.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Uri _server;
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, int> _inFlight = new(), _maxInFlight = new();
    private readonly object _counting = new();
    private readonly ConcurrentDictionary<RecordedRequest, byte[]> _bodies = new(ReferenceEqualityComparer.Instance);

    public FaultProxy(Uri server)
    {
        _server = new UriBuilder(server) { UserName = "", Password = "" }.Uri;
        var port = CouchServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Url = new UriBuilder(server) { Port = port }.Uri;
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>The proxy's root, with the server's credentials in it, ending in '/'.</summary>
    public Uri Url { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Chooses a fault for a request, or null to forward it untouched.</summary>
    public Func<RecordedRequest, Fault?>? Faults { get; set; }

    /// <summary>The most requests of one kind (<see cref="RecordedRequest.Kind"/>), for one database, or of all ("all") that were in flight at once.</summary>
    public int MaxInFlight(string kindOrDatabase = "all") => _maxInFlight.GetValueOrDefault(kindOrDatabase);

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        using var bytes = new MemoryStream();
        if (request.HasEntityBody) await request.InputStream.CopyToAsync(bytes);
        var body = Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        var headers = request.Headers.AllKeys.OfType<string>().ToDictionary(k => k, k => request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(request.HttpMethod, request.RawUrl ?? "/", body, headers) { Length = bytes.Length };
        _bodies[recorded] = bytes.ToArray();
        Requests.Enqueue(recorded);
        Count(recorded, +1);
        Fault? fault = null;
        try
        {
            fault = Faults?.Invoke(recorded);
            switch (fault)
            {
                case Fault.Status status:
                    await AnswerAsync(context.Response, status.Code,
                        $$"""{"error":"injected","reason":"fault proxy answered {{status.Code}}"}""", "application/json", status.RetryAfterSeconds, null);
                    return;
                case Fault.Answer answer:
                    await AnswerAsync(context.Response, answer.Code, answer.Body, answer.ContentType, null, answer.Location);
                    return;
                case Fault.Reset:
                    context.Response.Abort();
                    return;
                case Fault.Stall stall:
                    await Task.Delay(stall.Delay);
                    break;
            }
            await ForwardAsync(context, recorded, fault);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // The engine hung up (a timeout it was told to have): nothing to answer.
            context.Response.Abort();
            recorded.Outcome = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            Count(recorded, -1);
            var took = (DateTime.UtcNow - recorded.At).TotalMilliseconds;
            recorded.Outcome = $"{(fault is null ? "forwarded" : fault.GetType().Name)}, {recorded.Outcome ?? context.Response.StatusCode.ToString()}, {took:0} ms";
        }
    }

    /// <summary>
    /// The requests received in the <paramref name="last"/> span before now, one line each (when,
    /// what, what became of it): for a failure message that shows whether requests reached the
    /// proxy and how the server answered them.
    /// </summary>
    public string Timeline(TimeSpan last)
    {
        var since = DateTime.UtcNow - last;
        return string.Join("\n", Requests.Where(r => r.At >= since)
            .Select(r => $"{r.At:HH:mm:ss.fff} {r.Method} {r.PathAndQuery.Split('?')[0]} -> {r.Outcome ?? "in flight"}"));
    }

    private async Task ForwardAsync(HttpListenerContext context, RecordedRequest recorded, Fault? fault)
    {
        using var upstream = new HttpRequestMessage(new HttpMethod(recorded.Method), new Uri(_server, recorded.PathAndQuery.TrimStart('/')));
        foreach (var name in context.Request.Headers.AllKeys.OfType<string>())
            if (name is not ("Host" or "Content-Length" or "Content-Type" or "Connection" or "Transfer-Encoding"))
                upstream.Headers.TryAddWithoutValidation(name, context.Request.Headers.GetValues(name) ?? []);
        if (_bodies.TryRemove(recorded, out var body) && fault is Fault.Rewrite { Request: { } rewriteRequest })
            body = Encoding.UTF8.GetBytes(rewriteRequest(Encoding.UTF8.GetString(body)));
        if (body is { Length: > 0 })
        {
            upstream.Content = new ByteArrayContent(body);
            upstream.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType ?? "application/json");
        }

        using var answer = await _upstream.SendAsync(upstream, HttpCompletionOption.ResponseHeadersRead);
        var response = context.Response;
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            if (name is not ("Transfer-Encoding" or "Content-Length" or "Connection" or "Keep-Alive"))
                response.Headers[name] = string.Join(",", values);
        if (fault is Fault.Rewrite { Response: { } rewriteResponse })
        {
            var rewritten = Encoding.UTF8.GetBytes(rewriteResponse(await answer.Content.ReadAsStringAsync()));
            response.ContentLength64 = rewritten.Length;
            await response.OutputStream.WriteAsync(rewritten);
            response.Close();
            return;
        }
        await using var source = await answer.Content.ReadAsStreamAsync();
        if (fault is Fault.CutShort)
        {
            var whole = new MemoryStream();
            await source.CopyToAsync(whole);
            response.ContentLength64 = whole.Length;
            await response.OutputStream.WriteAsync(whole.GetBuffer().AsMemory(0, (int)whole.Length / 2));
            await response.OutputStream.FlushAsync();
            response.Abort();
            return;
        }
        response.SendChunked = true;
        // Copy as it comes, so a continuous feed's lines and heartbeats pass through at once.
        var buffer = new byte[fault is Fault.Trickle trickle ? trickle.PieceSize : 16 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
        {
            await response.OutputStream.WriteAsync(buffer.AsMemory(0, read));
            await response.OutputStream.FlushAsync();
            if (fault is Fault.Trickle slow) await Task.Delay(slow.Pause);
        }
        response.Close();
    }

    private static async Task AnswerAsync(HttpListenerResponse response, int code, string text, string contentType, int? retryAfterSeconds, string? location)
    {
        response.StatusCode = code;
        response.ContentType = contentType;
        if (retryAfterSeconds is { } seconds) response.Headers["Retry-After"] = seconds.ToString();
        if (location is not null) response.RedirectLocation = location;
        var body = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    private void Count(RecordedRequest request, int delta)
    {
        lock (_counting)
            foreach (var key in new[] { request.Kind, request.Database, "all" })
            {
                var now = _inFlight.AddOrUpdate(key, delta, (_, n) => n + delta);
                _maxInFlight.AddOrUpdate(key, now, (_, max) => Math.Max(max, now));
            }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _upstream.Dispose();
    }
}
