namespace CouchReplication.Document;

/// <summary>
/// IAM authentication of one end: the API key and the token endpoint that exchanges it for
/// bearer tokens. The endpoint is, in order, the one given (-IamTokenUrl), the environment variable
/// <c>CLOUDANT_AUTH_URL</c> (the name IBM's Cloudant SDKs read) or IBM Cloud's public one; like
/// those SDKs, a base URL gets <c>/identity/token</c> appended.
/// </summary>
internal sealed record IamSetting(CouchIamApiKey Key, Uri TokenUrl)
{
    public const string PublicEndpoint = "https://iam.cloud.ibm.com";

    public const string EnvironmentVariable = "CLOUDANT_AUTH_URL";

    private const string TokenPath = "/identity/token";

    public static IamSetting? From(CouchIamApiKey? key, string? tokenUrl) => key is null ? null : new IamSetting(key, TokenUrlOf(tokenUrl));

    /// <summary>Where tokens come from, checked as any URL a user gives; <paramref name="environment"/> reads a variable (the process's by default).</summary>
    public static Uri TokenUrlOf(string? given, Func<string, string?>? environment = null)
    {
        var (text, field) = !string.IsNullOrWhiteSpace(given) ? (given, "IamTokenUrl")
            : (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? (fromEnvironment, EnvironmentVariable)
            : (PublicEndpoint, "IamTokenUrl");
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0)
            throw CouchReplicationException.InvalidArgument(field,
                $"'{CouchEndpoint.RedactText(text)}' is not an http:// or https:// URL without user info or query (the IAM token endpoint)");
        var path = uri.AbsolutePath.TrimEnd('/');
        return path.EndsWith(TokenPath, StringComparison.Ordinal) ? uri : new UriBuilder(uri) { Path = path + TokenPath }.Uri;
    }

    // The key stays out of anything printed.
    public override string ToString() => TokenUrl.ToString();
}
