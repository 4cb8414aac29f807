using System.Text.Json;
using CouchReplication.Database;

namespace CouchReplication.CouchApi;

/// <summary><c>POST /db/_bulk_get?revs=true&amp;att_encoding_info=true</c>: history always, attachments' stored encodings unless the target cannot keep them.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<ReadAnswer<IReadOnlyList<BulkGetResult>>?> BulkGetAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct)
    {
        JsonDocument answer;
        try
        {
            answer = await PostBulkGetAsync("latest", revisions, ct);
        }
        catch (CouchReplicationException e) when (e.StatusCode is 400 or 404 or 405 or 501 && !CouchErrors.IsMissingDatabase(e))
        {
            _log($"The {_role} has no usable _bulk_get ({e.Error ?? e.StatusCode.ToString()}); reading documents one by one with open_revs.");
            return null;
        }
        return Owned<IReadOnlyList<BulkGetResult>>(answer, root => BulkGetResult.Parse(root, _role));
    }

    public async Task<ReadAnswer<IReadOnlyList<BulkGetResult>>> BulkGetWithAttachmentsAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct) =>
        Owned<IReadOnlyList<BulkGetResult>>(await PostBulkGetAsync("attachments", revisions, ct), root => BulkGetResult.Parse(root, _role));

    /// <summary>Posts the revisions, each with its <c>atts_since</c> when it has one; <paramref name="option"/> (latest or attachments) is set true.</summary>
    private Task<JsonDocument> PostBulkGetAsync(string option, IReadOnlyList<RevisionRequest> revisions, CancellationToken ct)
    {
        var query = new QueryString("_bulk_get").Add("revs", "true");
        if (GivesStoredEncodings) query.Add("att_encoding_info", "true");
        query.Add(option, "true");
        return _http.PostJsonAsync(query.ToString(), writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("docs");
            foreach (var (id, rev, attsSince) in revisions)
            {
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("rev", rev);
                if (attsSince is not null)
                {
                    writer.WriteStartArray("atts_since");
                    foreach (var since in attsSince) writer.WriteStringValue(since);
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }, ct);
    }
}
