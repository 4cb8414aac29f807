using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>
/// A revision to read: the document, the revision, and, when its attachments are read too, the
/// revisions whose attachments the reader has already (<c>atts_since</c>).
/// </summary>
internal sealed record RevisionRequest(string Id, string Rev, IReadOnlyList<string>? AttsSince = null);

/// <summary>One result of a <c>_bulk_get</c> answer: the document it answers, and what it gave.</summary>
internal sealed record BulkGetResult(string? Id, IReadOnlyList<RevisionEntry> Entries)
{
    public static List<BulkGetResult> Parse(JsonElement answer, string role)
    {
        if (answer.Field("results") is not { ValueKind: JsonValueKind.Array } results)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s _bulk_get answer has no results array.");
        return results.EnumerateArray()
            .Select(result => new BulkGetResult(result.StringOf("id"), result.ArrayOf("docs").Select(RevisionEntry.Parse).ToList()))
            .ToList();
    }
}
