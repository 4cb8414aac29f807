namespace CouchReplication;

/// <summary>
/// A replication failure with what CouchDB said about it. Every URL it carries is redacted.
/// </summary>
/// <param name="kind">The kind of failure.</param>
/// <param name="message">What went wrong, for the user; no password in it.</param>
/// <param name="statusCode">The HTTP status of the failed request, if one was answered.</param>
/// <param name="error">CouchDB's <c>error</c> field.</param>
/// <param name="reason">CouchDB's <c>reason</c> field.</param>
/// <param name="url">The request URL, already redacted.</param>
/// <param name="isTransient">Whether trying again later may succeed.</param>
/// <param name="retryAfter">The server's Retry-After, when it sent one.</param>
/// <param name="innerException">What the failure came from.</param>
public sealed class CouchReplicationException(CouchErrorKind kind, string message, int? statusCode = null,
    string? error = null, string? reason = null, string? url = null, bool isTransient = false,
    TimeSpan? retryAfter = null, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>The kind of failure; the cmdlets' ErrorId is <c>CouchReplication.</c> followed by it.</summary>
    public CouchErrorKind Kind { get; } = kind;

    /// <summary>The HTTP status of the failed request, if one was answered.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>CouchDB's <c>error</c> field, such as <c>not_found</c> or <c>unauthorized</c>.</summary>
    public string? Error { get; } = error;

    /// <summary>CouchDB's <c>reason</c> field.</summary>
    public string? Reason { get; } = reason;

    /// <summary>The request URL with its credentials replaced by <c>*****</c>.</summary>
    public string? Url { get; } = url;

    /// <summary>True when trying again later may succeed (network, timeouts, 5xx, 429).</summary>
    public bool IsTransient { get; } = isTransient;

    /// <summary>The server's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The stable ErrorId the cmdlets report, for example <c>CouchReplication.DbNotFound</c>.</summary>
    public string ErrorId => "CouchReplication." + Kind;

    /// <summary>
    /// Bad input, found before anything is sent: <paramref name="field"/> names what is wrong (a
    /// document field or a parameter) and <paramref name="problem"/> says why.
    /// </summary>
    public static CouchReplicationException InvalidArgument(string field, string problem) =>
        new(CouchErrorKind.InvalidArgument, $"{field}: {problem}", error: "invalid_argument", reason: problem);
}
