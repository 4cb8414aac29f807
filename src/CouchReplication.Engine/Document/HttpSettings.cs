namespace CouchReplication.Document;

/// <summary>The per-replication HTTP options of the replication document.</summary>
internal sealed record HttpSettings(int HttpConnections, TimeSpan ConnectionTimeout, int RetriesPerRequest)
{
    /// <summary>The backoff before the first retry; it doubles each time, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    public SocketOptions SocketOptions { get; init; } = SocketOptions.Default;

    /// <summary>Accept any TLS certificate: an explicit opt-in for test servers with self-signed certificates.</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>
    /// How long a whole answer may take, when that is not <see cref="HttpSettings.ConnectionTimeout"/>:
    /// a server answers a one-shot <c>_replicate</c> only when the replication is done.
    /// </summary>
    public TimeSpan? AnswerTimeout { get; init; }
}
