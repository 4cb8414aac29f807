using System.Text.Json;

namespace CouchReplication.Http;

/// <summary>Turns a non-success HTTP answer into a <see cref="CouchReplicationException"/>.</summary>
internal static class CouchErrorResponse
{
    /// <summary>Error bodies are short; anything longer is not CouchDB talking.</summary>
    private const int MaxErrorBody = 64 * 1024;

    public static async Task<CouchReplicationException> ReadAsync(HttpResponseMessage response, string redactedUrl, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string? error = null, reason = null;
        try
        {
            var body = await ReadCappedAsync(response.Content, ct);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                error = json.RootElement.TryGetProperty("error", out var e) ? e.ToString() : null;
                reason = json.RootElement.TryGetProperty("reason", out var r) ? r.ToString() : null;
            }
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            // Not a CouchDB error body (an HTML page from a proxy, a cut connection): the status speaks for itself.
        }

        var kind = KindOf(status);
        var transient = status is 408 or 429 || status >= 500;
        var what = error is null ? $"HTTP {status} {response.ReasonPhrase}" : $"{error}: {reason}";
        return new CouchReplicationException(kind, $"{response.RequestMessage?.Method} {redactedUrl} failed: {what}",
            status, error, reason, redactedUrl, transient, RetryAfterOf(response));
    }

    public static CouchErrorKind KindOf(int status) => status switch
    {
        400 => CouchErrorKind.BadRequest,
        401 or 407 => CouchErrorKind.Unauthorized,
        403 => CouchErrorKind.Forbidden,
        404 => CouchErrorKind.NotFound,
        408 => CouchErrorKind.Timeout,
        409 => CouchErrorKind.Conflict,
        413 => CouchErrorKind.RequestTooLarge,
        429 or >= 500 => CouchErrorKind.ServerError,
        _ => CouchErrorKind.HttpError,
    };

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0 && buffer.Length < MaxErrorBody)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }
}
