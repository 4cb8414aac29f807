namespace CouchReplication;

/// <summary>
/// A replication failure with what CouchDB said about it. Every URL it carries is redacted.
/// </summary>
public sealed class CouchReplicationException : Exception
{
    /// <summary>Creates an exception; <paramref name="url"/> must already be redacted.</summary>
    public CouchReplicationException(CouchErrorKind kind, string message, int? statusCode = null,
        string? error = null, string? reason = null, string? url = null, bool isTransient = false,
        TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        Error = error;
        Reason = reason;
        Url = url;
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    /// <summary>The kind of failure; the cmdlets' ErrorId is <c>CouchReplication.</c> followed by it.</summary>
    public CouchErrorKind Kind { get; }

    /// <summary>The HTTP status of the failed request, if one was answered.</summary>
    public int? StatusCode { get; }

    /// <summary>CouchDB's <c>error</c> field, such as <c>not_found</c> or <c>unauthorized</c>.</summary>
    public string? Error { get; }

    /// <summary>CouchDB's <c>reason</c> field.</summary>
    public string? Reason { get; }

    /// <summary>The request URL with its credentials replaced by <c>*****</c>.</summary>
    public string? Url { get; }

    /// <summary>True when trying again later may succeed (network, timeouts, 5xx, 429).</summary>
    public bool IsTransient { get; }

    /// <summary>The server's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The stable ErrorId the cmdlets report, for example <c>CouchReplication.DbNotFound</c>.</summary>
    public string ErrorId => "CouchReplication." + Kind;

    /// <summary>
    /// Bad input, found before anything is sent: <paramref name="field"/> names what is wrong (a
    /// document field or a parameter) and <paramref name="problem"/> says why.
    /// </summary>
    public static CouchReplicationException InvalidArgument(string field, string problem) =>
        new(CouchErrorKind.InvalidArgument, $"{field}: {problem}", error: "invalid_argument", reason: problem);
}
