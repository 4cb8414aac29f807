using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Polly;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// The HTTP client for one end of one replication: at most http_connections requests at once (each
/// holds a connection from the request until its answer is disposed) over the server's shared pool
/// (<see cref="ServerConnections"/>), connection_timeout per attempt, retries_per_request with
/// doubling backoff, credentials on every request and nowhere else (<see cref="EndpointAuth"/>).
/// </summary>
internal sealed class CouchHttp : IDisposable
{
    private readonly ServerConnections.Lease _pool;
    private readonly HttpClient _client;
    private readonly SemaphoreSlim _connections;
    private readonly ResiliencePipeline _retry;
    private readonly TimeSpan _timeout;
    private readonly EndpointAuth? _auth;
    private readonly Action<string> _log;
    private readonly Action<string>? _narrate;

    /// <param name="endpoint">Where requests go, with the credentials and headers they carry.</param>
    /// <param name="settings">Connections, timeouts and retries.</param>
    /// <param name="log">Hears retries.</param>
    /// <param name="narrate">Hears each attempt and how it was answered, URL redacted (-Debug); null to say nothing of them.</param>
    public CouchHttp(CouchEndpoint endpoint, HttpSettings settings, Action<string> log, Action<string>? narrate = null)
    {
        Endpoint = endpoint;
        _timeout = settings.AnswerTimeout ?? settings.ConnectionTimeout;
        _log = log;
        _narrate = narrate;
        _pool = ServerConnections.Borrow(endpoint, settings);
        _client = new HttpClient(_pool.Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _connections = new SemaphoreSlim(settings.HttpConnections);
        _auth = EndpointAuth.For(endpoint);
        _retry = Backoff.PerRequest(settings, log);
    }

    public CouchEndpoint Endpoint { get; }

    public Task<JsonDocument> GetJsonAsync(string relative, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, relative, null, ReadJsonAsync, ct);

    public Task<JsonDocument> PostJsonAsync(string relative, Action<Utf8JsonWriter> body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, relative, () => new JsonBody(body), ReadJsonAsync, ct);

    /// <summary>Posts a large body, sent while it is written (see <see cref="JsonBody.FlushWhenFullAsync"/>).</summary>
    public Task<JsonDocument> PostJsonAsync(string relative, Func<Utf8JsonWriter, CancellationToken, Task> body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, relative, () => new JsonBody(body), ReadJsonAsync, ct);

    public Task<JsonDocument> PutJsonAsync(string relative, Action<Utf8JsonWriter>? body, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, relative, body is null ? null : () => new JsonBody(body), ReadJsonAsync, ct);

    public Task<JsonDocument> DeleteJsonAsync(string relative, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, relative, null, ReadJsonAsync, ct);

    /// <summary>
    /// Sends a body that can be sent only once (a stream copied from the source): no retries
    /// here; the caller starts over from the source when this fails transiently.
    /// </summary>
    public Task<JsonDocument> SendOnceAsync(HttpMethod method, string relative, HttpContent content, CancellationToken ct) =>
        SendAsync(method, relative, () => content, ReadJsonAsync, ct, retry: false);

    /// <summary>
    /// Opens a long-lived or large answer, such as a continuous changes feed or a multipart
    /// document: the request is retried until the headers arrive; the body is the caller's to
    /// read, with no timeout but its own.
    /// </summary>
    public Task<HttpResponseMessage> OpenStreamAsync(HttpMethod method, string relative, Action<Utf8JsonWriter>? body, CancellationToken ct,
        string accept = "application/json") =>
        SendAsync(method, relative, body is null ? null : () => new JsonBody(body), (response, _) => Task.FromResult(response), ct,
            keepResponse: true, accept: accept);

    /// <summary>
    /// Sends one request, retried on transient failures; <paramref name="read"/> consumes the
    /// answer inside the attempt, so a body cut short is retried like a failed request.
    /// </summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string relative, Func<HttpContent>? content,
        Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken ct,
        bool keepResponse = false, string accept = "application/json", bool retry = true)
    {
        var url = new Uri(Endpoint.DatabaseUri, relative);
        var redacted = Endpoint.RedactedFor(relative);
        var via = Endpoint.Proxy is { } proxy ? $" (through the proxy {proxy.Redacted})" : "";
        return await (retry ? _retry : ResiliencePipeline.Empty).ExecuteAsync(async token =>
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
            attempt.CancelAfter(_timeout);
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            foreach (var (name, value) in Endpoint.Headers) request.Headers.TryAddWithoutValidation(name, value);
            if (content is not null) request.Content = content();
            if (request.Content is IStreamedBody streamed) streamed.Sent = () => attempt.CancelAfter(_timeout);
            HttpResponseMessage? response = null;
            Connection? connection = null;
            var sent = _narrate is null ? 0 : Stopwatch.GetTimestamp();
            try
            {
                var authorized = _auth is null ? null : await AuthorizeAsync(request, redacted, attempt.Token);
                connection = await Connection.TakeAsync(_connections, attempt.Token);
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
                _narrate?.Invoke($"{method} {redacted}: {(int)response.StatusCode} {response.ReasonPhrase} after {Stopwatch.GetElapsedTime(sent).TotalMilliseconds:0} ms");
                _auth?.Saw(response);
                if (!response.IsSuccessStatusCode)
                {
                    var error = await CouchErrorResponse.ReadAsync(response, redacted, attempt.Token);
                    // Expired or revoked credentials that a new login replaces: worth sending again (a
                    // body sent once makes the caller start over from the source, as for any transient failure).
                    if (response.StatusCode == HttpStatusCode.Unauthorized && _auth?.Renews(authorized) == true)
                        throw new CouchReplicationException(error.Kind, error.Message + " (the credentials were renewed)", error.StatusCode,
                            error.Error, error.Reason, error.Url, isTransient: true);
                    throw error;
                }
                var result = await read(response, attempt.Token);
                if (keepResponse)
                {
                    // The reader keeps the body, and with it the connection.
                    response.Content = new HeldContent(response.Content, connection);
                    (response, connection) = (null, null);
                }
                return result;
            }
            catch (OperationCanceledException e) when (!token.IsCancellationRequested)
            {
                throw new CouchReplicationException(CouchErrorKind.Timeout,
                    $"{method} {redacted}: no answer within {_timeout.TotalMilliseconds:0} ms (connection_timeout)",
                    url: redacted, isTransient: true, innerException: e);
            }
            catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
            {
                throw new CouchReplicationException(CouchErrorKind.Unreachable,
                    $"{method} {redacted}{via}: TLS failed: {e.InnerException.Message}", url: redacted, innerException: e);
            }
            catch (HttpRequestException e)
            {
                throw new CouchReplicationException(CouchErrorKind.Unreachable,
                    $"{method} {redacted}{via}: {Describe(e)}", url: redacted, isTransient: true, innerException: e);
            }
            catch (IOException e)
            {
                throw new CouchReplicationException(CouchErrorKind.Unreachable,
                    $"{method} {redacted}: connection lost ({e.Message})", url: redacted, isTransient: true, innerException: e);
            }
            finally
            {
                response?.Dispose();
                connection?.Dispose();
            }
        }, ct);
    }

    /// <summary>
    /// Authorizes a request; a failed login (a wrong password at <c>_session</c>, a key the token
    /// endpoint refuses) is told as a failure of the request, whose URL names the end at fault.
    /// </summary>
    private async Task<object?> AuthorizeAsync(HttpRequestMessage request, string redacted, CancellationToken ct)
    {
        try
        {
            return await _auth!.AuthorizeAsync(request, _client, _narrate, ct);
        }
        catch (CouchReplicationException e)
        {
            throw new CouchReplicationException(e.Kind, $"{request.Method} {redacted}: {e.Message}", e.StatusCode, e.Error, e.Reason, redacted,
                e.IsTransient, e.RetryAfter, e);
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        try
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            // A page that says it is not JSON (HTML from a web server) will not become JSON on a retry;
            // an empty or broken JSON answer is what a dropped connection behind a middlebox looks like.
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var notJson = mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);
            var url = response.RequestMessage?.RequestUri;
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                notJson
                    ? $"The server answered {response.RequestMessage?.Method} with {mediaType}, not JSON: is this a CouchDB server?"
                    : $"The server's answer to {response.RequestMessage?.Method} is broken JSON ({e.Message})",
                (int)response.StatusCode, url: url is null ? null : CouchEndpoint.RedactText(url.GetLeftPart(UriPartial.Path)),
                isTransient: !notJson, innerException: e);
        }
    }

    private static string Describe(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } => "unknown host",
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException s => s.Message,
        _ => e.Message,
    };

    /// <summary>One of the end's http_connections, taken until disposed.</summary>
    private sealed class Connection : IDisposable
    {
        private SemaphoreSlim? _connections;

        private Connection(SemaphoreSlim connections) => _connections = connections;

        public static async Task<Connection> TakeAsync(SemaphoreSlim connections, CancellationToken ct)
        {
            await connections.WaitAsync(ct);
            return new Connection(connections);
        }

        public void Dispose() => Interlocked.Exchange(ref _connections, null)?.Release();
    }

    public void Dispose()
    {
        _client.Dispose();
        _pool.Dispose();
    }
}
