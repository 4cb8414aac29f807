using System.Globalization;
using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary>The database itself: <c>GET /db</c> (whether it exists, its update_seq) and <c>PUT /db?create_target_params</c>.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<DatabaseNotFound?> FindAsync(CancellationToken ct)
    {
        try
        {
            using var info = await _http.GetJsonAsync("", ct);
            _keepsEncodings = KeepsEncodings(info.RootElement);
            return null;
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            // A 404 from CouchDB carries its JSON error; one without it comes from something else (a web
            // server, a wrong path), and saying "database not found" would send the user the wrong way.
            if (e.Error is null)
                throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                    $"{Endpoint.Redacted} answered 404 without a CouchDB error: is this a CouchDB server and database URL?", 404,
                    url: Endpoint.Redacted, innerException: e);
            return new DatabaseNotFound(e, Endpoint.Redacted);
        }
    }

    public async Task<Seq> ReadUpdateSeqAsync(CancellationToken ct)
    {
        using var info = await _http.GetJsonAsync("", ct);
        return info.RootElement.Field("update_seq") is { ValueKind: JsonValueKind.String or JsonValueKind.Number } seq
            ? Seq.From(seq)
            : throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {_role}'s database information has no update_seq: is this a CouchDB server?");
    }

    /// <summary>What the database's information said of attachment encodings, when it has been read.</summary>
    private bool? _keepsEncodings;

    public async Task<bool> KeepsAttachmentEncodingsAsync(CancellationToken ct)
    {
        if (_keepsEncodings is { } known) return known;
        using var info = await _http.GetJsonAsync("", ct);
        return (_keepsEncodings = KeepsEncodings(info.RootElement)).Value;
    }

    /// <summary>
    /// CouchDB's storage engine (1.x to 3.x, Cloudant) names its <c>disk_format_version</c> and keeps
    /// encodings; a server without one (pouchdb-server, whose information names its adapter) is given
    /// attachments decoded, which every server stores correctly.
    /// </summary>
    private static bool KeepsEncodings(JsonElement info) => info.Field("disk_format_version") is not null;

    public bool GivesStoredEncodings { get; set; } = true;

    public async Task<bool> CreateAsync(IDictionary<string, object?>? parameters, CancellationToken ct)
    {
        try
        {
            using var created = await _http.PutJsonAsync(CreateQuery(parameters), null, ct);
            return true;
        }
        catch (CouchReplicationException e) when (e.StatusCode == 412)
        {
            // Created by someone else in the meantime: just as good.
            return false;
        }
    }

    /// <summary>The query string of <c>PUT /db</c>: create_target_params as they are, booleans as <c>true</c>/<c>false</c>.</summary>
    internal static string CreateQuery(IDictionary<string, object?>? parameters)
    {
        var query = new QueryString("");
        foreach (var (key, value) in parameters ?? new Dictionary<string, object?>())
            query.Add(key, value is bool b ? (b ? "true" : "false") : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        return query.ToString();
    }
}
