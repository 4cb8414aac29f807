using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>The revisions of one document a database lacks, and the ones it has that may be their ancestors.</summary>
internal sealed record MissingRevs(string Id, IReadOnlyList<string> Missing, IReadOnlyList<string> PossibleAncestors)
{
    /// <summary>Reads a <c>_revs_diff</c> answer: the documents with revisions missing.</summary>
    public static List<MissingRevs> Parse(JsonElement answer, string role)
    {
        if (answer.ValueKind != JsonValueKind.Object)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s _revs_diff answer is not a JSON object.");
        var missing = new List<MissingRevs>();
        foreach (var doc in answer.EnumerateObject())
        {
            var revs = doc.Value.StringsOf("missing");
            if (revs.Count > 0) missing.Add(new MissingRevs(doc.Name, revs, doc.Value.StringsOf("possible_ancestors")));
        }
        return missing;
    }
}
