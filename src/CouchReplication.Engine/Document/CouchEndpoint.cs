using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace CouchReplication.Document;

/// <summary>
/// One end of a replication: the database URL with the credentials taken out of it, the
/// credentials themselves (a password or an IAM API key) and how to use them, custom headers and
/// the proxy to reach it through.
/// </summary>
internal sealed partial class CouchEndpoint
{
    private CouchEndpoint(Uri databaseUri, Uri sessionUri, CouchCredential? credential, IamSetting? iam,
        CouchAuthentication authentication, IReadOnlyDictionary<string, string> headers, ProxySetting? proxy, string? filePath = null)
    {
        DatabaseUri = databaseUri;
        SessionUri = sessionUri;
        FilePath = filePath;
        Credential = credential;
        Iam = iam;
        Authentication = authentication;
        Headers = headers;
        Proxy = proxy;
    }

    /// <summary>The database URL without user info, ending in '/'. Safe to show.</summary>
    public Uri DatabaseUri { get; }

    /// <summary>
    /// Where a session cookie is obtained: <c>_session</c> beside the database, on the same path
    /// prefix (a server behind a reverse proxy at <c>/couch/</c> has it at <c>/couch/_session</c>).
    /// </summary>
    public Uri SessionUri { get; }

    public CouchCredential? Credential { get; }

    /// <summary>IAM authentication instead of a password; never both.</summary>
    public IamSetting? Iam { get; }

    /// <summary>How the <see cref="Credential"/> is proved: a session cookie (the default) or basic auth on every request.</summary>
    public CouchAuthentication Authentication { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public ProxySetting? Proxy { get; }

    /// <summary>The full path of a database file (<see cref="DatabaseFilePath"/>); null for a database on a server.</summary>
    public string? FilePath { get; }

    /// <summary>The URL as users may see it: <c>https://user:*****@host/db/</c>, or a database file's full path.</summary>
    public string Redacted => FilePath ?? Redact(DatabaseUri, Credential?.UserName);

    /// <summary>The server the database is on (scheme, host and port), which the scheduler shares out.</summary>
    public string Server => DatabaseUri.GetLeftPart(UriPartial.Authority);

    public string RedactedFor(string relative) => Redacted + relative;

    public override string ToString() => Redacted;

    /// <summary>
    /// Parses a database URL. User info in the URL is percent-decoded into a credential (so
    /// passwords with <c>@ : / %</c> work); an explicit <paramref name="credential"/> wins over it.
    /// </summary>
    public static CouchEndpoint Parse(string? url, string field, CouchCredential? credential = null,
        IReadOnlyDictionary<string, string>? headers = null, ProxySetting? proxy = null, IamSetting? iam = null,
        CouchAuthentication authentication = CouchAuthentication.Session)
    {
        if (DatabaseFilePath.IsPath(url)) return ParseFile(url!, field, credential, headers, proxy, iam);
        var uri = HttpUrl(url, field, "a database URL");
        var path = uri.AbsolutePath.TrimEnd('/');
        var lastSlash = path.LastIndexOf('/');
        var escapedName = path[(lastSlash + 1)..];
        if (escapedName.Length == 0)
            throw CouchReplicationException.InvalidArgument(field, $"'{RedactText(url)}' has no database name (expected http://host:5984/dbname)");
        var name = Uri.UnescapeDataString(escapedName);
        if (!DatabaseNamePattern().IsMatch(name))
            throw CouchReplicationException.InvalidArgument(field,
                $"'{name}' is not a valid CouchDB database name (lowercase letter first, then a-z 0-9 _ $ ( ) + - /)");

        credential ??= UserInfo(uri, field);
        if (credential is not null && iam is not null)
            throw CouchReplicationException.InvalidArgument(field,
                $"has both a password (for the user '{credential.UserName}') and an IAM API key: give one of them");

        var clean = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty, Path = path + "/" }.Uri;
        return new CouchEndpoint(clean, new Uri(clean, "../_session"), credential, iam, authentication,
            headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), proxy);
    }

    /// <summary>
    /// A database file: credentials, custom headers and a proxy are for HTTP, and are refused
    /// rather than ignored, so a script that meant a server learns it named a file.
    /// </summary>
    private static CouchEndpoint ParseFile(string url, string field, CouchCredential? credential,
        IReadOnlyDictionary<string, string>? headers, ProxySetting? proxy, IamSetting? iam)
    {
        var path = DatabaseFilePath.FullPath(url, field);
        var httpOnly = new[]
            {
                credential is null ? null : "a credential", iam is null ? null : "an IAM API key", headers is { Count: > 0 } ? "headers" : null,
                proxy is null ? null : "a proxy",
            }
            .OfType<string>().ToList();
        if (httpOnly.Count > 0)
            throw CouchReplicationException.InvalidArgument(field,
                $"'{path}' is a database file, which takes no {string.Join(", ", httpOnly)} (those are for http:// and https:// databases)");
        var file = new Uri(path);
        return new CouchEndpoint(file, file, null, null, CouchAuthentication.Session, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), null, path);
    }

    /// <summary>
    /// Parses a server's root URL (a path is kept, for servers behind a proxy): the endpoint of
    /// server-wide requests such as <c>_replicate</c>, whose <see cref="DatabaseUri"/> is that root.
    /// </summary>
    public static CouchEndpoint ParseServer(string? url, CouchCredential? credential)
    {
        var uri = HttpUrl(url, "Server", "a server URL");
        credential ??= UserInfo(uri, "Server");
        var root = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty, Path = uri.AbsolutePath.TrimEnd('/') + "/" }.Uri;
        return new CouchEndpoint(root, new Uri(root, "_session"), credential, null, CouchAuthentication.Session,
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), null);
    }

    /// <summary>
    /// The credential in a URL's user info. A password that is the mask <c>*****</c> was copied
    /// from something this module printed: sending it would only fail later, as a wrong password.
    /// </summary>
    private static CouchCredential? UserInfo(Uri uri, string field)
    {
        var credential = CouchCredential.FromUserInfo(uri);
        if (credential?.Password == Mask)
            throw CouchReplicationException.InvalidArgument(field,
                $"the password in '{Redact(uri, credential.UserName)}' is the mask {Mask}, copied from a masked URL; "
                + "give the credential as a PSCredential (-SourceCredential, -TargetCredential, -Credential) or the real password");
        return credential;
    }

    private static Uri HttpUrl([NotNull] string? url, string field, string what)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw CouchReplicationException.InvalidArgument(field, what + " is required");
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw CouchReplicationException.InvalidArgument(field, $"'{RedactText(url)}' is not an http:// or https:// URL");
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw CouchReplicationException.InvalidArgument(field, $"'{RedactText(url)}' must not have a query or fragment");
        return uri;
    }

    /// <summary>What a password is shown as.</summary>
    public const string Mask = "*****";

    /// <summary>Masks the password (and keeps the user) of any absolute URL.</summary>
    public static string Redact(Uri uri, string? userName)
    {
        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        var text = builder.Uri.GetComponents(UriComponents.AbsoluteUri, UriFormat.UriEscaped);
        if (string.IsNullOrEmpty(userName)) return text;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal) + 3;
        return text[..schemeEnd] + Uri.EscapeDataString(userName) + ":" + Mask + "@" + text[schemeEnd..];
    }

    /// <summary>Masks user info in text that may not even parse as a URL, for error messages.</summary>
    public static string RedactText(string text) => UserInfoPattern().Replace(text, m => m.Groups[1].Value + m.Groups[2].Value + ":" + Mask + "@");

    [GeneratedRegex("^[a-z][a-z0-9_$()+/-]*$")]
    private static partial Regex DatabaseNamePattern();

    [GeneratedRegex(@"(\w+://)([^:/@\s]*)(?::[^@\s]*)?@")]
    private static partial Regex UserInfoPattern();
}
