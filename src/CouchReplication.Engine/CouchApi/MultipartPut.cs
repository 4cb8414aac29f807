using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Http;
using CouchReplication.Json;
using CouchReplication.Multipart;

namespace CouchReplication.CouchApi;

/// <summary><c>PUT /db/doc?new_edits=false</c> as multipart/related: one revision, its attachments streamed from the source as they are sent.</summary>
internal sealed partial class HttpCouchDatabase
{
    /// <summary>
    /// A refusal CouchDB's replicator counts (401, 403, 413, 415, a 400 such as an invalid
    /// attachment name or id) is a failure of this document, not an error of the run.
    /// </summary>
    public async Task<CouchDocWriteFailure?> PutWithAttachmentsAsync(RevisionWithAttachments revision, CancellationToken ct)
    {
        var doc = revision.Revision;
        var body = new MultipartRelatedBody(revision.Json, FollowingParts(doc.Body), revision.NextAttachment);
        try
        {
            using var answer = await _http.SendOnceAsync(HttpMethod.Put, new QueryString(DocPath.Of(doc.Id)).Add("new_edits", "false").ToString(), body, ct);
            return null;
        }
        catch (CouchReplicationException e) when (e.StatusCode is 400 or 401 or 403 or 413 or 415 && e.Error != CouchErrors.MissingStub)
        {
            return new CouchDocWriteFailure(doc.Id, doc.Rev, e.Error ?? e.StatusCode.ToString()!, e.Reason);
        }
    }

    /// <summary>The names and byte lengths of the attachments that follow the JSON, in the document's order (as stored: the encoded length of a compressed one).</summary>
    private static List<FollowingPart> FollowingParts(JsonElement doc) =>
        doc.ObjectOf("_attachments") is { } attachments
            ? attachments.EnumerateObject().Where(a => a.Value.BoolOf("follows") == true)
                .Select(a => new FollowingPart(a.Name, a.Value.GetProperty(a.Value.Field("encoding") is null ? "length" : "encoded_length").GetInt64())).ToList()
            : [];
}
