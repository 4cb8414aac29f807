using System.Diagnostics;

namespace CouchReplication.Http;

/// <summary>
/// Credentials a login hands out for a while (a session cookie, an IAM token): obtained on first
/// use, renewed once a share of their lifetime has passed, and renewed when a server refuses them
/// unless they are so new that the refusal is the answer. One login at a time: requests that find
/// the credentials due wait for it and share its result.
/// </summary>
internal abstract class RenewedAuth : EndpointAuth
{
    /// <summary>How long credentials of unknown lifetime are used before they are renewed.</summary>
    protected static readonly TimeSpan UnknownLifetime = TimeSpan.FromMinutes(9);

    private readonly SemaphoreSlim _login = new(1, 1);
    private Grant? _current;
    private bool _unsupported;

    /// <summary>The share of a grant's lifetime after which it is renewed.</summary>
    protected abstract double RenewAfter { get; }

    /// <summary>
    /// Where the login goes (redacted) and the request it sends; <see cref="RenewAsync"/> sends it
    /// and narrates it.
    /// </summary>
    protected abstract (string Where, HttpRequestMessage Request) Login();

    /// <summary>What the login's answer grants; null when the server has no such login (the request goes out with <see cref="AuthorizeWithout"/>).</summary>
    protected abstract Task<Grant?> GrantedAsync(HttpResponseMessage response, string where, CancellationToken ct);

    /// <summary>The client logins are sent with: the end's own, or one of their own (a token endpoint elsewhere).</summary>
    protected virtual HttpClient LoginClient(HttpClient endClient) => endClient;

    /// <summary>A login that got no answer, in the words of this kind of login; null to let the end's client say it.</summary>
    protected virtual CouchReplicationException? Unanswered(string where, HttpRequestException e) => null;

    /// <summary>Adds the grant to a request.</summary>
    protected abstract void Apply(HttpRequestMessage request, string value);

    /// <summary>Authorizes a request where the server has no login of this kind.</summary>
    protected virtual void AuthorizeWithout(HttpRequestMessage request)
    {
    }

    public sealed override async ValueTask<object?> AuthorizeAsync(HttpRequestMessage request, HttpClient client, Action<string>? narrate,
        CancellationToken ct)
    {
        var grant = Volatile.Read(ref _current);
        if (grant is null || grant.IsDue(RenewAfter)) grant = await RenewAsync(grant, client, narrate, ct);
        if (grant is null)
        {
            AuthorizeWithout(request);
            return null;
        }
        Apply(request, grant.Value);
        return grant;
    }

    public sealed override bool Renews(object? used)
    {
        if (used is not Grant grant) return false;
        var current = Volatile.Read(ref _current);
        if (!ReferenceEquals(current, grant)) return current is not null;
        // A grant refused soon after the login is not renewed again: the refusal is the answer
        // (CouchDB's replicator waits session_min_update_interval for the same reason).
        if (grant.Age < TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, grant.Lifetime.Ticks / 2))) return false;
        Interlocked.CompareExchange(ref _current, grant with { Refused = true }, grant);
        return true;
    }

    /// <summary>Takes credentials a server handed out unasked.</summary>
    protected void Replace(Grant grant) => Volatile.Write(ref _current, grant);

    private async Task<Grant?> RenewAsync(Grant? stale, HttpClient client, Action<string>? narrate, CancellationToken ct)
    {
        await _login.WaitAsync(ct);
        try
        {
            var current = _current;
            if (current is not null && !ReferenceEquals(current, stale) && !current.IsDue(RenewAfter)) return current;
            if (_unsupported) return null;
            var (where, request) = Login();
            using var sent = request;
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await LoginClient(client).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e) when (Unanswered(where, e) is { } unanswered)
            {
                throw unanswered;
            }
            using var answer = response;
            narrate?.Invoke($"{request.Method} {where}: {(int)answer.StatusCode} {answer.ReasonPhrase} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            var fresh = await GrantedAsync(answer, where, ct);
            _unsupported = fresh is null;
            _current = fresh;
            return fresh;
        }
        finally
        {
            _login.Release();
        }
    }

    /// <summary>What one login handed out, and for how long.</summary>
    protected sealed record Grant(string Value, TimeSpan Lifetime)
    {
        private readonly long _obtained = Stopwatch.GetTimestamp();

        /// <summary>A server refused it: renew before the next request.</summary>
        public bool Refused { get; init; }

        public TimeSpan Age => Stopwatch.GetElapsedTime(_obtained);

        public bool IsDue(double renewAfter) => Refused || Age >= Lifetime * renewAfter;

        // The value is a secret.
        public override string ToString() => $"a grant for {Lifetime}";
    }
}
