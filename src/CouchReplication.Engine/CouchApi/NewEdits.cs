using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.CouchApi;

/// <summary>
/// <c>POST /db/_bulk_docs</c> with new edits (the default), as an application writes documents:
/// the server gives each its new revision, or refuses it (a conflict, a validation).
/// </summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<IReadOnlyList<CouchDocumentWrite>> SaveAsync(IReadOnlyList<JsonElement> docs, CancellationToken ct)
    {
        // Ids are given here, not by the server: a request retried after its answer was lost then
        // finds its documents written (a conflict), instead of writing them twice under new ids.
        var ids = docs.Select(doc => doc.StringOf("_id") ?? NewDocument.NewId()).ToList();
        using var answer = await _http.PostJsonAsync("_bulk_docs", async (writer, token) =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("docs");
            for (var i = 0; i < docs.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("_id", ids[i]);
                foreach (var field in docs[i].EnumerateObject().Where(f => f.Name != "_id")) field.WriteTo(writer);
                writer.WriteEndObject();
                await JsonBody.FlushWhenFullAsync(writer, token);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }, ct);
        if (answer.RootElement.ValueKind != JsonValueKind.Array || answer.RootElement.GetArrayLength() != docs.Count)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {_role}'s _bulk_docs answer is not one row per document.");
        return answer.RootElement.EnumerateArray().Select((row, i) => new CouchDocumentWrite(row.StringOf("id") ?? ids[i], row.StringOf("rev"),
            row.Field("error")?.ToString(), row.Field("reason")?.ToString())).ToList();
    }
}
