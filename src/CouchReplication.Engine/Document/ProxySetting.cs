using System.Net;

namespace CouchReplication.Document;

/// <summary>An HTTP proxy with optional credentials, parsed from a <c>proxy</c> field.</summary>
internal sealed class ProxySetting
{
    private ProxySetting(Uri address, CouchCredential? credential)
    {
        Address = address;
        Credential = credential;
    }

    public Uri Address { get; }

    public CouchCredential? Credential { get; }

    public string Redacted => CouchEndpoint.Redact(Address, Credential?.UserName);

    public static ProxySetting? Parse(string? url, string field)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw CouchReplicationException.InvalidArgument(field, $"'{CouchEndpoint.RedactText(url)}' is not an http:// proxy URL");
        var clean = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
        return new ProxySetting(clean, CouchCredential.FromUserInfo(uri));
    }

    /// <summary>The proxy as the HTTP handler takes it; its credentials go to the proxy only.</summary>
    public IWebProxy ToWebProxy() => new WebProxy(Address)
    {
        Credentials = Credential is null ? null : new NetworkCredential(Credential.UserName, Credential.Password),
    };
}
