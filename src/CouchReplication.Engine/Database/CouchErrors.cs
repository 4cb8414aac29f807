namespace CouchReplication.Database;

/// <summary>The errors in CouchDB's answers that a replication branches on.</summary>
internal static class CouchErrors
{
    /// <summary>
    /// A write that names an attachment stub the database does not have (its ancestor's attachment
    /// was lost to revs_limit or compaction): the revision is sent again with every attachment.
    /// </summary>
    public const string MissingStub = "missing_stub";

    /// <summary>Whether a 404 says the database does not exist, rather than that the server lacks an endpoint.</summary>
    public static bool IsMissingDatabase(CouchReplicationException e) => e.Reason == "Database does not exist.";
}
