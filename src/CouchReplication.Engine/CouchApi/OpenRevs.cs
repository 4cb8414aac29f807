using System.IO.Compression;
using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Http;
using CouchReplication.Json;
using CouchReplication.Multipart;

namespace CouchReplication.CouchApi;

/// <summary><c>GET /db/doc?revs=true&amp;latest=true&amp;open_revs=[...]</c>, as JSON or, with attachments, as multipart/mixed.</summary>
internal sealed partial class HttpCouchDatabase
{
    public async Task<ReadAnswer<IReadOnlyList<RevisionEntry>>> OpenRevsAsync(string id, IReadOnlyList<string> revs, bool withAttachments,
        CancellationToken ct)
    {
        var query = new QueryString(DocPath.Of(id)).Add("revs", "true").Add("latest", "true");
        if (withAttachments) query.Add("attachments", "true");
        query.Add("open_revs", JsonSerializer.Serialize(revs));
        var answer = await _http.GetJsonAsync(query.ToString(), ct);
        return Owned<IReadOnlyList<RevisionEntry>>(answer, root => root.ValueKind == JsonValueKind.Array
            ? root.EnumerateArray().Select(RevisionEntry.Parse).ToList()
            : throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {_role}'s open_revs answer for '{id}' is not a JSON array."));
    }

    public async Task<IRevisionParts> OpenRevisionWithAttachmentsAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        var query = new QueryString(DocPath.Of(id)).Add("revs", "true").Add("latest", "true").Add("attachments", "true");
        // CouchDB's multipart answer sends a compressed attachment as stored either way: OpenRevsParts decodes it when asked.
        if (GivesStoredEncodings) query.Add("att_encoding_info", "true");
        query.Add("open_revs", JsonSerializer.Serialize(new[] { rev }));
        if (attsSince.Count > 0) query.Add("atts_since", JsonSerializer.Serialize(attsSince));

        var response = await _http.OpenStreamAsync(HttpMethod.Get, query.ToString(), null, ct, accept: "multipart/mixed");
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct);
            var boundary = MultipartReader.BoundaryOf(response.Content.Headers.ContentType?.ToString() ?? "");
            return new OpenRevsParts(response, stream, boundary is null ? null : new MultipartReader(stream, boundary), id, _role, !GivesStoredEncodings);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The parts of a multipart/mixed <c>open_revs</c> answer: a revision with attachments is a
    /// multipart/related part (its JSON, then each attachment), one without is a JSON part, and so is
    /// a revision the database does not have (<c>{"missing": rev}</c>). A JSON answer (a server
    /// without multipart) is one part with its revisions inline.
    /// For a reader that takes attachments decoded (<c>decode</c>): CouchDB sends an attachment that
    /// follows as stored, gzip, whatever <c>att_encoding_info</c> says, so its JSON loses the
    /// encoding here and its stream is decompressed as it is read.
    /// </summary>
    private sealed class OpenRevsParts(HttpResponseMessage response, Stream stream, MultipartReader? parts, string id, string role, bool decode) : IRevisionParts
    {
        private bool _jsonRead;

        public async Task<RevisionPart?> NextAsync(CancellationToken ct)
        {
            if (parts is null) return _jsonRead ? null : await ReadJsonAnswerAsync(ct);
            var part = await parts.ReadNextSectionAsync(ct);
            if (part is null) return null;
            if (part.NestedBoundary is { } nested) return await ReadRelatedAsync(new MultipartReader(part.Body, nested), ct);

            var entry = JsonDocument.Parse(await ReadAllAsync(part.Body, ct));
            if (entry.RootElement.Field("_id") is not null) return new PlainRevisions([new DocRevision(entry.RootElement)], entry);
            using (entry)
                return new RevisionNotGiven(entry.RootElement.Field("missing") is not null
                    ? RevisionEntry.ProblemOf(entry.RootElement)
                    : $"an unexpected entry {entry.RootElement.GetRawText()}");
        }

        private async Task<RevisionPart> ReadJsonAnswerAsync(CancellationToken ct)
        {
            _jsonRead = true;
            var answer = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            var root = answer.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                answer.Dispose();
                throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s open_revs answer is neither multipart nor a JSON array.");
            }
            var revisions = root.EnumerateArray().Select(e => RevisionEntry.Parse(e).Revision).OfType<DocRevision>().ToList();
            if (revisions.Count > 0) return new PlainRevisions(revisions, answer);
            using (answer) return new RevisionNotGiven(root.GetArrayLength() == 0 ? "an empty open_revs answer" : root[0].GetRawText());
        }

        private async Task<RevisionPart> ReadRelatedAsync(MultipartReader related, CancellationToken ct)
        {
            try
            {
                var jsonPart = await related.ReadNextSectionAsync(ct) ?? throw new InvalidDataException($"{id}: an empty multipart document.");
                var json = await ReadAllAsync(jsonPart.Body, ct);
                var doc = JsonDocument.Parse(json);
                var revision = new DocRevision(doc.RootElement);
                if (revision.Id.Length == 0)
                {
                    // Without its id the revision cannot be written anywhere.
                    doc.Dispose();
                    throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s open_revs answer for '{id}' has a document without _id.");
                }
                var gzipped = decode ? Gzipped(revision.Body) : [];
                if (!gzipped.Contains(true))
                    return new RevisionWithAttachments(revision, json, async token => (await related.ReadNextSectionAsync(token))?.Body, doc, related);

                var decoded = WithoutEncodings(revision.Body);
                doc.Dispose();
                doc = JsonDocument.Parse(decoded);
                var next = 0;
                return new RevisionWithAttachments(new DocRevision(doc.RootElement), decoded, async token =>
                    (await related.ReadNextSectionAsync(token))?.Body is not { } body ? null
                    : gzipped[next++] ? new GZipStream(body, CompressionMode.Decompress) : body, doc, related);
            }
            catch
            {
                related.Dispose();
                throw;
            }
        }

        /// <summary>For each attachment that follows the JSON, in its order, whether it comes gzip.</summary>
        private static bool[] Gzipped(JsonElement doc) =>
            doc.ObjectOf("_attachments") is { } attachments
                ? attachments.EnumerateObject().Where(a => a.Value.BoolOf("follows") == true).Select(a => a.Value.StringOf("encoding") == "gzip").ToArray()
                : [];

        /// <summary>The revision's JSON with no attachment saying it is compressed: its length is then the decoded one.</summary>
        private static byte[] WithoutEncodings(JsonElement doc)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                foreach (var field in doc.EnumerateObject())
                {
                    if (field.Name != "_attachments" || field.Value.ValueKind != JsonValueKind.Object)
                    {
                        field.WriteTo(w);
                        continue;
                    }
                    w.WriteStartObject(field.Name);
                    foreach (var attachment in field.Value.EnumerateObject())
                    {
                        w.WriteStartObject(attachment.Name);
                        foreach (var property in attachment.Value.EnumerateObject().Where(p => !AttachmentStub.DescribesStoredForm(p.Name)))
                            property.WriteTo(w);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            return buffer.ToArray();
        }

        private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            return buffer.ToArray();
        }

        public async ValueTask DisposeAsync()
        {
            parts?.Dispose();
            await stream.DisposeAsync();
            response.Dispose();
        }
    }
}
