namespace CouchReplication.Database;

/// <summary>
/// A database's answer that it does not exist (CouchDB's 404 with its JSON error). The caller
/// says what that means for the replication (<see cref="Explain"/>).
/// </summary>
internal sealed record DatabaseNotFound(CouchReplicationException Answer, string Url)
{
    /// <summary>The DbNotFound error in the caller's words, with the database's error and reason.</summary>
    public CouchReplicationException Explain(string message) =>
        new(CouchErrorKind.DbNotFound, message, 404, Answer.Error, Answer.Reason, Url, innerException: Answer);
}
