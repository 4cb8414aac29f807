using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Http;

namespace CouchReplication.CouchApi;

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
