using System.Net.Http.Headers;
using System.Text.Json;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// IBM Cloud IAM authentication, as Cloudant's SDKs do it: the API key is exchanged at the token
/// endpoint (<c>grant_type=urn:ibm:params:oauth:grant-type:apikey</c>) for a bearer token, sent as
/// <c>Authorization: Bearer</c>, renewed when 80% of its lifetime (<c>expires_in</c>) has passed
/// and once when a server refuses it.
/// </summary>
internal sealed class IamToken(IamSetting setting) : RenewedAuth
{
    private const string GrantType = "urn:ibm:params:oauth:grant-type:apikey";

    // Token endpoints are few and long-lived: one client for all of them, for the process.
    private static readonly HttpClient TokenClient = new() { Timeout = TimeSpan.FromSeconds(60) };

    protected override double RenewAfter => 0.8;

    protected override (string Where, HttpRequestMessage Request) Login()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, setting.TokenUrl)
        {
            Content = new FormUrlEncodedContent([new("grant_type", GrantType), new("apikey", setting.Key.Key)]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return (setting.TokenUrl.AbsoluteUri, request);
    }

    protected override HttpClient LoginClient(HttpClient endClient) => TokenClient;

    protected override CouchReplicationException Unanswered(string where, HttpRequestException e) =>
        new(CouchErrorKind.Unreachable, $"The IAM token endpoint {where} did not answer: {e.Message}", url: where, isTransient: true, innerException: e);

    protected override async Task<Grant?> GrantedAsync(HttpResponseMessage response, string where, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
            throw new CouchReplicationException(status is 400 or 401 or 403 ? CouchErrorKind.Unauthorized : CouchErrorKind.ServerError,
                $"The IAM token endpoint {where} refused the API key: {ReasonIn(body) ?? $"HTTP {status} {response.ReasonPhrase}"}",
                status, "unauthorized", ReasonIn(body), where, isTransient: status is 429 or >= 500);
        return TokenIn(body, where);
    }

    protected override void Apply(HttpRequestMessage request, string value) =>
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", value);

    private static Grant TokenIn(string body, string where)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var token = root.GetProperty("access_token").GetString();
            if (string.IsNullOrEmpty(token)) throw new KeyNotFoundException("access_token");
            var lifetime = root.TryGetProperty("expires_in", out var expiresIn) && expiresIn.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : root.TryGetProperty("expiration", out var expiration) && expiration.TryGetInt64(out var at)
                    && DateTimeOffset.FromUnixTimeSeconds(at) - DateTimeOffset.UtcNow is { Ticks: > 0 } left
                    ? left
                    : UnknownLifetime;
            return new Grant(token, lifetime);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                $"The IAM token endpoint {where} answered without an access_token: is it an IAM token endpoint?", url: where, innerException: e);
        }
    }

    /// <summary>IAM says why in <c>errorMessage</c>; OAuth servers in <c>error_description</c>.</summary>
    private static string? ReasonIn(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var name in new[] { "errorMessage", "error_description", "reason", "error" })
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    return value.GetString();
        }
        catch (JsonException)
        {
            // Not JSON: the status says it.
        }
        return null;
    }
}
