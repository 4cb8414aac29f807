using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// Cookie authentication as CouchDB's replicator does it: one <c>POST _session</c> with the user
/// name and password, then the <c>AuthSession</c> cookie on every request; renewed when 90% of its
/// Max-Age has passed, when a server hands out a fresher one, and when a request is refused with
/// it. A server without <c>_session</c> (404) gets the password on every request instead.
/// </summary>
internal sealed class SessionCookie(Uri sessionUri, CouchCredential credential) : RenewedAuth
{
    private const string CookieName = "AuthSession";

    private readonly AuthenticationHeaderValue _basic = BasicAuth.HeaderOf(credential);

    protected override double RenewAfter => 0.9;

    protected override (string Where, HttpRequestMessage Request) Login()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sessionUri)
        {
            Content = new FormUrlEncodedContent([new("name", credential.UserName), new("password", credential.Password)]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        // Also as basic auth: a server with require_valid_user lets no one reach _session without it.
        request.Headers.Authorization = _basic;
        return (CouchEndpoint.Redact(sessionUri, credential.UserName), request);
    }

    protected override async Task<Grant?> GrantedAsync(HttpResponseMessage response, string where, CancellationToken ct)
    {
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) return null;
        if (!response.IsSuccessStatusCode) throw await CouchErrorResponse.ReadAsync(response, where, ct);
        return CookieIn(response);
    }

    protected override void Apply(HttpRequestMessage request, string value) =>
        request.Headers.TryAddWithoutValidation("Cookie", CookieName + "=" + value);

    protected override void AuthorizeWithout(HttpRequestMessage request) => request.Headers.Authorization = _basic;

    public override void Saw(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.Unauthorized && CookieIn(response) is { } renewed) Replace(renewed);
    }

    /// <summary>The AuthSession cookie a response sets, with its Max-Age; null when it sets none.</summary>
    private static Grant? CookieIn(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies)) return null;
        foreach (var cookie in cookies)
        {
            var parts = cookie.Split(';', StringSplitOptions.TrimEntries);
            if (!parts[0].StartsWith(CookieName + "=", StringComparison.Ordinal)) continue;
            var value = parts[0][(CookieName.Length + 1)..];
            if (value.Length == 0) continue;
            var maxAge = parts.Skip(1).Select(p => p.Split('=', 2)).Where(p => p.Length == 2 && p[0].Equals("Max-Age", StringComparison.OrdinalIgnoreCase))
                .Select(p => int.TryParse(p[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? seconds : (int?)null)
                .FirstOrDefault();
            return new Grant(value, maxAge is > 0 ? TimeSpan.FromSeconds(maxAge.Value) : UnknownLifetime);
        }
        return null;
    }
}
