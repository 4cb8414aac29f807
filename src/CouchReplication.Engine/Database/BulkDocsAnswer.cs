using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>
/// What <c>_bulk_docs</c> answered: the revisions it refused one by one, or, when it refused the
/// whole request for the sake of one revision, that <see cref="Refusal"/>.
/// </summary>
internal sealed record BulkDocsAnswer(IReadOnlyList<CouchDocWriteFailure> Failures, BulkRefusal? Refusal = null)
{
    /// <summary>Reads the answer's rows: those with an error are the revisions refused.</summary>
    public static List<CouchDocWriteFailure> Parse(JsonElement answer, string role)
    {
        if (answer.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s _bulk_docs answer is not a JSON array.");
        var failures = new List<CouchDocWriteFailure>();
        foreach (var row in answer.EnumerateArray())
            if (row.Field("error") is { } error)
                failures.Add(new CouchDocWriteFailure(row.StringOf("id") ?? "", row.StringOf("rev"), error.ToString(), row.Field("reason")?.ToString()));
        return failures;
    }
}

/// <summary>
/// A <c>_bulk_docs</c> request refused whole for the sake of one revision: too large (413), a
/// missing attachment stub, or a revision the database will not take (400: an id longer than its
/// <c>max_document_id_length</c>, a body it will not parse). <see cref="Error"/> and
/// <see cref="Reason"/> are what that revision is counted with once it stands alone.
/// </summary>
internal sealed record BulkRefusal(string Error, string? Reason);
