using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// The replication id: the hex MD5 of a canonical JSON of what makes two replications the same
/// one (endpoints without credentials, custom header names, the filter definition with the
/// filter function's source, winning_revs_only). It names the checkpoint documents, so a changed
/// filter starts afresh.
/// </summary>
internal static class ReplicationIdentity
{
    /// <summary>The replication id; a filter function's source is fetched from the source for it.</summary>
    public static async Task<string> ComputeAsync(ReplicationSettings settings, CancellationToken ct)
    {
        if (settings.Filter.Kind is not (ChangesFilterKind.Function or ChangesFilterKind.View)) return Compute(settings, null);
        using var source = new CouchHttp(settings.Source, settings.Http, _ => { });
        var section = settings.Filter.Kind == ChangesFilterKind.Function ? "filters" : "views";
        return Compute(settings, await FunctionSourceAsync(source, settings.Filter.Name!, section, ct));
    }

    public static string Compute(ReplicationSettings settings, string? filterCode)
    {
        var identity = new Dictionary<string, object?>
        {
            ["source"] = settings.Source.DatabaseUri.AbsoluteUri,
            ["source_headers"] = HeaderNames(settings.Source),
            ["target"] = settings.Target.DatabaseUri.AbsoluteUri,
            ["target_headers"] = HeaderNames(settings.Target),
            ["filter"] = settings.Filter.Identity(filterCode),
            ["winning_revs_only"] = settings.WinningRevsOnly,
        };
        var hash = MD5.HashData(Encoding.UTF8.GetBytes(PlainJson.Serialize(identity, canonical: true)));
        return Convert.ToHexString(hash).ToLowerInvariant();
    }

    /// <summary>The id a task is known by: CouchDB appends the options that make a job distinct.</summary>
    public static string TaskId(string replicationId, bool continuous, bool createTarget) =>
        replicationId + (continuous ? "+continuous" : "") + (createTarget ? "+create_target" : "");

    private static IReadOnlyList<string> HeaderNames(CouchEndpoint endpoint) =>
        endpoint.Headers.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();

    /// <summary>Fetches a filter function or view map from the source's design document; a missing one is a FilterNotFound error.</summary>
    private static async Task<string> FunctionSourceAsync(CouchHttp source, string name, string section, CancellationToken ct)
    {
        var slash = name.IndexOf('/');
        var ddoc = "_design/" + name[..slash];
        var function = name[(slash + 1)..];
        JsonDocument design;
        try
        {
            design = await source.GetJsonAsync(DocPath.Of(ddoc), ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404)
        {
            throw new CouchReplicationException(CouchErrorKind.FilterNotFound,
                $"Filter '{name}' not found: the source has no design document {ddoc}.", 404, e.Error, e.Reason, e.Url, innerException: e);
        }
        using (design)
        {
            if (design.RootElement.TryGetProperty(section, out var functions) && functions.ValueKind == JsonValueKind.Object
                && functions.TryGetProperty(function, out var code))
                return code.ValueKind == JsonValueKind.Object && code.TryGetProperty("map", out var map) ? map.ToString() : code.ToString();
        }
        throw new CouchReplicationException(CouchErrorKind.FilterNotFound,
            $"Filter '{name}' not found: design document {ddoc} on the source has no {section}.{function}.");
    }
}
