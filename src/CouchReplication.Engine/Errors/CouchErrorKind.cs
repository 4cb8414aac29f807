namespace CouchReplication;

/// <summary>
/// What went wrong, in words a runbook can branch on. The cmdlets turn each kind into the stable
/// ErrorId <c>CouchReplication.&lt;Kind&gt;</c>.
/// </summary>
public enum CouchErrorKind
{
    /// <summary>A parameter or replication-document field is invalid; nothing was sent.</summary>
    InvalidArgument,
    /// <summary>The source or target database does not exist.</summary>
    DbNotFound,
    /// <summary>A document or other resource does not exist.</summary>
    NotFound,
    /// <summary>The server rejected the credentials (HTTP 401).</summary>
    Unauthorized,
    /// <summary>The credentials lack the rights for the request (HTTP 403).</summary>
    Forbidden,
    /// <summary>The server could not be reached: unknown host, refused connection, reset.</summary>
    Unreachable,
    /// <summary>The server did not answer within connection_timeout.</summary>
    Timeout,
    /// <summary>The server failed (HTTP 5xx) or asked to slow down (HTTP 429).</summary>
    ServerError,
    /// <summary>The server refused the request as malformed (HTTP 400).</summary>
    BadRequest,
    /// <summary>The request body was larger than the server accepts (HTTP 413).</summary>
    RequestTooLarge,
    /// <summary>A document update conflicted (HTTP 409).</summary>
    Conflict,
    /// <summary>The filter function or its design document does not exist on the source.</summary>
    FilterNotFound,
    /// <summary>The server's answer was not the CouchDB JSON that was expected.</summary>
    InvalidResponse,
    /// <summary>The server answered with a status this module has no better name for.</summary>
    HttpError,
    /// <summary>A failure this module did not foresee; the message says what it was.</summary>
    Unexpected,
    /// <summary>
    /// The server cannot do what was asked, or cannot show that it did: pouchdb-server answers a
    /// <c>_replicate</c> cancel with ok and goes on replicating.
    /// </summary>
    NotSupported,
    /// <summary>
    /// The source did not give a revision its changes feed lists, even when asked again after a
    /// wait: the replication stops before it (no checkpoint passes it) and a later run reads it again.
    /// </summary>
    RevisionUnreadable,
}
