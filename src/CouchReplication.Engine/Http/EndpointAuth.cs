using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// How requests to one end say who sends them: a password on every request (<see cref="BasicAuth"/>),
/// a session cookie (<see cref="SessionCookie"/>) or an IAM bearer token (<see cref="IamToken"/>).
/// Logins are shared: one per server (or token endpoint) and secret in the process, used by every
/// replication that names them, as CouchDB's replicator shares its session per endpoint.
/// </summary>
internal abstract class EndpointAuth
{
    private static readonly ConcurrentDictionary<string, EndpointAuth> Shared = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds what proves the sender to <paramref name="request"/>, logging in first through
    /// <paramref name="client"/> when needed (the login told to <paramref name="narrate"/> as any
    /// request is, -Debug); returns what it used, for <see cref="Renews"/>.
    /// </summary>
    public abstract ValueTask<object?> AuthorizeAsync(HttpRequestMessage request, HttpClient client, Action<string>? narrate, CancellationToken ct);

    /// <summary>Learns from an answer: a server may hand out a renewed cookie on any request.</summary>
    public virtual void Saw(HttpResponseMessage response)
    {
    }

    /// <summary>
    /// A request sent with <paramref name="used"/> was answered 401: true when newer credentials
    /// are, or will be, at hand, so the request is worth sending again; false when the refusal is
    /// the answer.
    /// </summary>
    public virtual bool Renews(object? used) => false;

    /// <summary>What authenticates requests to <paramref name="endpoint"/>; null when it has no credentials.</summary>
    public static EndpointAuth? For(CouchEndpoint endpoint)
    {
        if (endpoint.Iam is { } iam)
            return Shared.GetOrAdd(Key("iam", iam.TokenUrl.AbsoluteUri, iam.Key.Key), _ => new IamToken(iam));
        if (endpoint.Credential is not { } credential) return null;
        if (endpoint.Authentication == CouchAuthentication.Basic) return new BasicAuth(credential);
        return Shared.GetOrAdd(Key("session", endpoint.SessionUri.AbsoluteUri, credential.UserName + ":" + credential.Password),
            _ => new SessionCookie(endpoint.SessionUri, credential));
    }

    /// <summary>A key that holds a digest of the secret, not the secret itself.</summary>
    private static string Key(string kind, string where, string secret) =>
        $"{kind} {where} {Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))}";
}
