using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>The revisions of one document the target lacks, and the ones it has that may be their ancestors.</summary>
internal sealed record MissingRevs(string Id, IReadOnlyList<string> Missing, IReadOnlyList<string> PossibleAncestors);

/// <summary><c>POST /target/_revs_diff</c>: which of a batch's revisions the target does not have yet.</summary>
internal static class RevsDiff
{
    public static async Task<IReadOnlyList<MissingRevs>> FindMissingAsync(CouchHttp target,
        IReadOnlyDictionary<string, IReadOnlyList<string>> revsById, CancellationToken ct)
    {
        if (revsById.Count == 0) return [];
        using var json = await target.PostJsonAsync("_revs_diff", writer =>
        {
            writer.WriteStartObject();
            foreach (var (id, revs) in revsById)
            {
                writer.WriteStartArray(id);
                foreach (var rev in revs) writer.WriteStringValue(rev);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }, ct);

        if (json.RootElement.ValueKind != JsonValueKind.Object)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The target's _revs_diff answer is not a JSON object.");
        var missing = new List<MissingRevs>();
        foreach (var doc in json.RootElement.EnumerateObject())
        {
            var revs = Strings(doc.Value, "missing");
            if (revs.Count > 0) missing.Add(new MissingRevs(doc.Name, revs, Strings(doc.Value, "possible_ancestors")));
        }
        return missing;
    }

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(r => r.GetString()).OfType<string>().ToList()
            : [];
}
