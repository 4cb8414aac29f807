using CouchReplication.Document;



namespace CouchReplication.ServerMode;

/// <summary>
/// Names a server replicator's failures as the engine names its own. CouchDB answers
/// <c>_replicate</c> with HTTP 500 for most failures of the replication itself and says what they
/// were in <c>error</c> and <c>reason</c>: a missing database is <c>db_not_found</c>, a refused
/// endpoint password <c>replication_auth_error</c>, an endpoint it cannot reach a
/// <c>http_request_failed</c> reason (pouchdb-server: <c>ECONNREFUSED</c>). Reasons are masked:
/// they quote the endpoints' URLs.
/// </summary>
internal static class ServerErrors
{
    private static readonly string[] UnreachableReasons = ["http_request_failed", "conn_failed", "ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT"];

    public static CouchReplicationException Map(CouchReplicationException e)
    {
        var kind = KindOf(e);
        var message = CouchEndpoint.RedactText(e.Message);
        if (kind == e.Kind && message == e.Message) return e;
        var transient = e.IsTransient && kind is CouchErrorKind.ServerError or CouchErrorKind.Timeout;
        return new CouchReplicationException(kind, message, e.StatusCode, e.Error, e.Reason is null ? null : CouchEndpoint.RedactText(e.Reason),
            e.Url, transient, e.RetryAfter, e);
    }

    private static CouchErrorKind KindOf(CouchReplicationException e) => e.Error switch
    {
        // First: with a password, CouchDB's first request to an endpoint is its _session, so an
        // endpoint it cannot reach is a replication_auth_error (session_request_failed, conn_failed).
        _ when e.Reason is { } reason && UnreachableReasons.Any(r => reason.Contains(r, StringComparison.Ordinal)) => CouchErrorKind.Unreachable,
        "db_not_found" => CouchErrorKind.DbNotFound,
        "unauthorized" or "replication_auth_error" => CouchErrorKind.Unauthorized,
        "forbidden" => CouchErrorKind.Forbidden,
        "not_found" when e.Reason?.StartsWith("Couldn't open document `_design/", StringComparison.Ordinal) == true => CouchErrorKind.FilterNotFound,
        _ => e.Kind,
    };
}
