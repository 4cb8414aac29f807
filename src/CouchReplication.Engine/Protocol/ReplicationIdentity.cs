using System.Security.Cryptography;
using System.Text;
using CouchReplication.Database;
using CouchReplication.Document;
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
        using var source = CouchDatabase.Open(settings.Source, settings.Http, "source", _ => { });
        var section = settings.Filter.Kind == ChangesFilterKind.Function ? DesignSection.Filters : DesignSection.Views;
        return Compute(settings, await source.ReadFunctionAsync(settings.Filter.Name!, section, ct));
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
}
