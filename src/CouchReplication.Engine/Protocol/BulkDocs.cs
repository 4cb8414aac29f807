using System.Text.Json;
using CouchReplication.Http;

namespace CouchReplication.Protocol;

/// <summary>
/// <c>POST /target/_bulk_docs {"new_edits": false}</c>: writes revisions with their history as
/// they are. A refused document is a failure to report, not a reason to stop (CouchDB's rule).
/// Three answers refuse the whole request for the sake of one document: 413 (too large), a
/// missing attachment stub, and 400 (an id longer than the target's <c>max_document_id_length</c>,
/// a body it will not parse). Each halves the batch until that document stands alone; it is then
/// counted as a failure with the target's reason, and the rest is written.
/// </summary>
internal static class BulkDocs
{
    public static async Task<IReadOnlyList<CouchDocWriteFailure>> WriteAsync(CouchHttp target, IReadOnlyList<JsonElement> docs, CancellationToken ct)
    {
        var failures = new List<CouchDocWriteFailure>();
        await WriteAsync(target, docs, failures, ct);
        return failures;
    }

    private static async Task WriteAsync(CouchHttp target, IReadOnlyList<JsonElement> docs, List<CouchDocWriteFailure> failures, CancellationToken ct)
    {
        if (docs.Count == 0) return;
        JsonDocument answer;
        try
        {
            answer = await target.PostJsonAsync("_bulk_docs", async (writer, token) =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("new_edits", false);
                writer.WriteStartArray("docs");
                foreach (var doc in docs)
                {
                    doc.WriteTo(writer);
                    await JsonBody.FlushWhenFullAsync(writer, token);
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }, ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode is 413 or 400 || e.Error == "missing_stub")
        {
            if (docs.Count == 1)
            {
                failures.Add(e.StatusCode == 413
                    ? new CouchDocWriteFailure(IdOf(docs[0]), RevOf(docs[0]), "too_large", e.Reason ?? "the document is larger than the target accepts")
                    : new CouchDocWriteFailure(IdOf(docs[0]), RevOf(docs[0]), e.Error ?? "bad_request", e.Reason));
                return;
            }
            var half = docs.Count / 2;
            await WriteAsync(target, docs.Take(half).ToList(), failures, ct);
            await WriteAsync(target, docs.Skip(half).ToList(), failures, ct);
            return;
        }

        using (answer)
        {
            if (answer.RootElement.ValueKind != JsonValueKind.Array)
                throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The target's _bulk_docs answer is not a JSON array.");
            foreach (var row in answer.RootElement.EnumerateArray())
                if (row.TryGetProperty("error", out var error))
                    failures.Add(new CouchDocWriteFailure(
                        row.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "",
                        row.TryGetProperty("rev", out var rev) ? rev.GetString() : null,
                        error.ToString(),
                        row.TryGetProperty("reason", out var reason) ? reason.ToString() : null));
        }
    }

    private static string IdOf(JsonElement doc) => doc.TryGetProperty("_id", out var id) ? id.GetString() ?? "" : "";

    private static string? RevOf(JsonElement doc) => doc.TryGetProperty("_rev", out var rev) ? rev.GetString() : null;
}
