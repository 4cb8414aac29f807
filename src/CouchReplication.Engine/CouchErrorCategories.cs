namespace CouchReplication;

/// <summary>
/// The PowerShell ErrorCategory for each <see cref="CouchErrorKind"/>, by name, so the mapping is
/// tested without PowerShell and the cmdlets only parse the name.
/// </summary>
public static class CouchErrorCategories
{
    /// <summary>The name of the ErrorCategory member that fits <paramref name="kind"/>.</summary>
    public static string NameOf(CouchErrorKind kind) => kind switch
    {
        CouchErrorKind.InvalidArgument or CouchErrorKind.BadRequest => "InvalidArgument",
        CouchErrorKind.DbNotFound or CouchErrorKind.NotFound or CouchErrorKind.FilterNotFound => "ObjectNotFound",
        CouchErrorKind.Unauthorized => "AuthenticationError",
        CouchErrorKind.Forbidden => "PermissionDenied",
        CouchErrorKind.Unreachable => "ConnectionError",
        CouchErrorKind.Timeout => "OperationTimeout",
        CouchErrorKind.ServerError or CouchErrorKind.HttpError => "ProtocolError",
        CouchErrorKind.InvalidResponse => "InvalidResult",
        CouchErrorKind.RequestTooLarge => "LimitsExceeded",
        CouchErrorKind.Conflict => "ResourceExists",
        CouchErrorKind.NotSupported => "NotImplemented",
        CouchErrorKind.RevisionUnreadable => "ReadError",
        _ => "NotSpecified",
    };
}
