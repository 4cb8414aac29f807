namespace CouchReplication.Database;

/// <summary>The ids of <c>_local</c> documents, which hold replication logs and are never replicated.</summary>
internal static class LocalDocId
{
    public static bool Is(string id) => id.StartsWith("_local/", StringComparison.Ordinal);
}
