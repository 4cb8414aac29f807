using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary><c>GET /db/_design/&lt;ddoc&gt;</c>: the source of a filter function or a view's map function, which the replication id includes.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<string> ReadFunctionAsync(string name, DesignSection section, CancellationToken ct)
    {
        var slash = name.IndexOf('/');
        var ddoc = "_design/" + name[..slash];
        var function = name[(slash + 1)..];
        var sectionName = section == DesignSection.Filters ? "filters" : "views";
        JsonDocument design;
        try
        {
            design = await _http.GetJsonAsync(DocPath.Of(ddoc), ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            throw new CouchReplicationException(CouchErrorKind.FilterNotFound,
                $"Filter '{name}' not found: the {_role} has no design document {ddoc}.", 404, e.Error, e.Reason, e.Url, innerException: e);
        }
        using (design)
            return FunctionSource(design.RootElement, sectionName, function)
                ?? throw new CouchReplicationException(CouchErrorKind.FilterNotFound,
                    $"Filter '{name}' not found: design document {ddoc} on the {_role} has no {sectionName}.{function}.");
    }

    /// <summary>A function of a design document: a filter as it is, a view by its map function; null when there is none.</summary>
    internal static string? FunctionSource(JsonElement design, string section, string function) =>
        design.ObjectOf(section)?.Field(function) is { } code ? code.Field("map") is { } map ? map.ToString() : code.ToString() : null;
}
