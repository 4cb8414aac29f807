using System.Text.Json;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

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

/// <summary><c>POST /db/_bulk_docs {"new_edits": false}</c>, its body sent while it is written.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<BulkDocsAnswer> BulkDocsAsync(IReadOnlyList<DocRevision> revisions, CancellationToken ct)
    {
        JsonDocument answer;
        try
        {
            answer = await _http.PostJsonAsync("_bulk_docs", async (writer, token) =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("new_edits", false);
                writer.WriteStartArray("docs");
                foreach (var revision in revisions)
                {
                    revision.Body.WriteTo(writer);
                    await JsonBody.FlushWhenFullAsync(writer, token);
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }, ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode is 413 or 400 || e.Error == CouchErrors.MissingStub)
        {
            return new BulkDocsAnswer([], e.StatusCode == 413
                ? new BulkRefusal("too_large", e.Reason ?? $"the document is larger than the {_role} accepts")
                : new BulkRefusal(e.Error ?? "bad_request", e.Reason));
        }
        using (answer) return new BulkDocsAnswer(BulkDocsAnswer.Parse(answer.RootElement, _role));
    }
}
