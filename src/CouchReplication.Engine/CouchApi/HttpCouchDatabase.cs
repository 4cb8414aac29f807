using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Http;

namespace CouchReplication.CouchApi;

/// <summary>
/// A CouchDB database over HTTP, through <see cref="CouchHttp"/> (connection pool, timeouts,
/// per-request retries, credentials). Each endpoint is in the file named after it (Database,
/// ChangesFeed, RevsDiff, BulkGet, OpenRevs, BulkDocs, MultipartPut, LocalDocs, DesignDocs): its
/// URL and query string, its request body, and how its answer is read.
/// </summary>
internal sealed partial class HttpCouchDatabase : ICouchDatabase
{
    private readonly CouchHttp _http;
    private readonly string _role;
    private readonly Action<string> _log;

    /// <param name="endpoint">The database URL, credentials, headers and proxy.</param>
    /// <param name="settings">The replication's HTTP options.</param>
    /// <param name="role">"source" or "target": how messages name this database.</param>
    /// <param name="log">Hears retries and the fallbacks a server's missing features cause.</param>
    /// <param name="narrate">Hears each request and its answer (-Debug); null to say nothing of them.</param>
    public HttpCouchDatabase(CouchEndpoint endpoint, HttpSettings settings, string role, Action<string> log, Action<string>? narrate = null)
    {
        _http = new CouchHttp(endpoint, settings, log, narrate);
        _role = role;
        _log = log;
    }

    private CouchEndpoint Endpoint => _http.Endpoint;

    /// <summary>Reads an answer whose parsed values point into it, which then owns it until they are written.</summary>
    private static ReadAnswer<T> Owned<T>(JsonDocument answer, Func<JsonElement, T> read)
    {
        try
        {
            return new ReadAnswer<T>(read(answer.RootElement), answer);
        }
        catch
        {
            answer.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}
