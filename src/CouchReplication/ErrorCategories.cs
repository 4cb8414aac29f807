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
}
