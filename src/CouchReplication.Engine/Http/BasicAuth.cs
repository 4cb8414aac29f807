using System.Net.Http.Headers;
using System.Text;

namespace CouchReplication.Http;

/// <summary>HTTP basic authentication: the user name and password on every request.</summary>
internal sealed class BasicAuth(CouchCredential credential) : EndpointAuth
{
    private readonly AuthenticationHeaderValue _header = HeaderOf(credential);

    public override ValueTask<object?> AuthorizeAsync(HttpRequestMessage request, HttpClient client, Action<string>? narrate, CancellationToken ct)
    {
        request.Headers.Authorization = _header;
        return ValueTask.FromResult<object?>(null);
    }

    public static AuthenticationHeaderValue HeaderOf(CouchCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.UserName + ":" + credential.Password)));
}
