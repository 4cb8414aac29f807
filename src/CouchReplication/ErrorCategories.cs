using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// The PowerShell ErrorCategory of each <see cref="CouchErrorKind"/>. It lives here, not in the
/// engine, which knows nothing of PowerShell; the switch names every kind, so a new kind does not
/// compile until it has a category (CS8509 is an error with warnings as errors).
/// </summary>
internal static class ErrorCategories
{
#pragma warning disable CS8524 // Only named kinds exist; a cast integer is not a kind.
    public static ErrorCategory Of(CouchErrorKind kind) => kind switch
#pragma warning restore CS8524
    {
        CouchErrorKind.InvalidArgument or CouchErrorKind.BadRequest => ErrorCategory.InvalidArgument,
        CouchErrorKind.DbNotFound or CouchErrorKind.NotFound or CouchErrorKind.FilterNotFound => ErrorCategory.ObjectNotFound,
        CouchErrorKind.Unauthorized => ErrorCategory.AuthenticationError,
        CouchErrorKind.Forbidden => ErrorCategory.PermissionDenied,
        CouchErrorKind.Unreachable => ErrorCategory.ConnectionError,
        CouchErrorKind.Timeout => ErrorCategory.OperationTimeout,
        CouchErrorKind.ServerError or CouchErrorKind.HttpError => ErrorCategory.ProtocolError,
        CouchErrorKind.InvalidResponse => ErrorCategory.InvalidResult,
        CouchErrorKind.RequestTooLarge => ErrorCategory.LimitsExceeded,
        CouchErrorKind.Conflict => ErrorCategory.ResourceExists,
        CouchErrorKind.NotSupported => ErrorCategory.NotImplemented,
        CouchErrorKind.RevisionUnreadable => ErrorCategory.ReadError,
        CouchErrorKind.Unexpected => ErrorCategory.NotSpecified,
    };

    /// <summary>What to do about the common failures, for the error record's RecommendedAction; null where the message says it all.</summary>
    public static string? RecommendedAction(CouchErrorKind kind) => kind switch
    {
        CouchErrorKind.InvalidArgument => "Correct the field or parameter the message starts with; nothing was sent.",
        CouchErrorKind.Unauthorized => "Check the user name and password: pass them with -SourceCredential and -TargetCredential (-Credential for -Server) rather than in the URL.",
        CouchErrorKind.Forbidden => "Use an account with the rights the message names, or ask the server's admin for them.",
        CouchErrorKind.DbNotFound => "Check the database name and server; add -CreateTarget to create a missing target.",
        CouchErrorKind.FilterNotFound => "Check the filter's design document and function name (ddoc/name) on the source.",
        CouchErrorKind.Unreachable => "Check the URL, that the server runs, and that this machine reaches it (proxy, firewall, TLS certificate).",
        CouchErrorKind.Timeout => "The server was silent too long: try again, or raise -ConnectionTimeout for a slow server.",
        CouchErrorKind.ServerError or CouchErrorKind.RevisionUnreadable => "The server failed or is overloaded: run the replication again; it resumes from its checkpoint.",
        _ => null,
    };
}
