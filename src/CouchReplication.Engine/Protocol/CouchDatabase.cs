using CouchReplication.CouchApi;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.FileDatabase;



namespace CouchReplication.Protocol;

/// <summary>Opens the database at one end of a replication: the one place that decides what kind of database an endpoint is.</summary>
internal static class CouchDatabase
{
    /// <param name="endpoint">The database the replication document names.</param>
    /// <param name="settings">The replication's HTTP options.</param>
    /// <param name="role">"source" or "target": how messages name the database.</param>
    /// <param name="log">Hears retries and fallbacks, for -Verbose.</param>
    /// <param name="narrate">Hears each request and its answer, for -Debug; null to say nothing of them.</param>
    public static ICouchDatabase Open(CouchEndpoint endpoint, HttpSettings settings, string role, Action<string> log, Action<string>? narrate = null) =>
        endpoint.FilePath is { } path ? new FileCouchDatabase(path, role) : new HttpCouchDatabase(endpoint, settings, role, log, narrate);
}
