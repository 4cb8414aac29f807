using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.FileDatabase;

/// <summary>How a revision's attachments are given when it is read: all as stubs, or those newer than atts_since inline or following the JSON.</summary>
internal enum AttachmentForm
{
    Stubs,
    Inline,
    Follows,
}

/// <summary>An attachment of a revision being written: its stored description, and its data when the revision carries it inline.</summary>
internal sealed record IncomingAttachment(string Name, string Digest, string? Encoding, long StoredLength, byte[]? Data, bool Follows);

/// <summary>
/// A revision's body as the file keeps it: the document's JSON without <c>_id</c>, <c>_rev</c>,
/// <c>_deleted</c> and <c>_revisions</c> (the tree holds those), its <c>_attachments</c> reduced to
/// their descriptions (content_type, revpos, digest, length, encoding, encoded_length) whose data
/// is in the attachments table by digest.
/// </summary>
internal static class StoredBody
{
    private static readonly HashSet<string> TreeFields = new(StringComparer.Ordinal) { "_id", "_rev", "_deleted", "_revisions", "_attachments" };

    private static readonly string[] DescriptionFields = ["content_type", "revpos", "digest", "length", "encoding", "encoded_length"];

    /// <summary>The stored form of a written revision, and its attachments as it gives them (stubs, inline data, or following parts).</summary>
    public static (string Body, List<IncomingAttachment> Attachments) FromWritten(JsonElement doc)
    {
        var attachments = new List<IncomingAttachment>();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var field in doc.EnumerateObject().Where(f => !TreeFields.Contains(f.Name))) field.WriteTo(w);
            if (doc.ObjectOf("_attachments") is { } given)
            {
                w.WriteStartObject("_attachments");
                foreach (var attachment in given.EnumerateObject())
                {
                    var incoming = Incoming(attachment.Name, attachment.Value);
                    attachments.Add(incoming);
                    w.WriteStartObject(attachment.Name);
                    foreach (var name in DescriptionFields.Where(n => attachment.Value.Field(n) is not null && n is not ("digest" or "length")))
                    {
                        w.WritePropertyName(name);
                        attachment.Value.GetProperty(name).WriteTo(w);
                    }
                    w.WriteString("digest", incoming.Digest);
                    w.WriteNumber("length", incoming.Data?.LongLength ?? attachment.Value.LongOf("length") ?? 0);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return (Encoding.UTF8.GetString(buffer.ToArray()), attachments);
    }

    /// <summary>
    /// An attachment as written: inline data is taken as it comes (decoded, as CouchDB gives it
    /// inline) and named by its MD5; a stub or a following part keeps the digest the source gave,
    /// which is what lets a compressed attachment come back with the same digest.
    /// </summary>
    private static IncomingAttachment Incoming(string name, JsonElement attachment)
    {
        if (attachment.StringOf("data") is { } base64)
        {
            var data = Convert.FromBase64String(base64);
            return new IncomingAttachment(name, "md5-" + Convert.ToBase64String(MD5.HashData(data)), null, data.LongLength, data, false);
        }
        var encoding = attachment.StringOf("encoding");
        var stored = (encoding is null ? attachment.LongOf("length") : attachment.LongOf("encoded_length")) ?? 0;
        return new IncomingAttachment(name, attachment.StringOf("digest") ?? "", encoding, stored, null, attachment.BoolOf("follows") == true);
    }

    /// <summary>
    /// Writes a revision as CouchDB gives it with <c>revs=true</c>: <c>_id</c>, <c>_rev</c>,
    /// <c>_deleted</c>, the body, <c>_attachments</c> in <paramref name="form"/> for those newer than
    /// generation <paramref name="known"/> (stubs for the others), and <c>_revisions</c>. With
    /// <paramref name="storedEncodings"/> false, as CouchDB without <c>att_encoding_info</c>: no
    /// attachment says it is compressed, for a reader that gets them all decoded.
    /// </summary>
    public static void WriteRevision(Utf8JsonWriter w, string id, IReadOnlyList<string> path, bool deleted, string body,
        AttachmentForm form, long known, bool storedEncodings, Func<string, StoredAttachment> read)
    {
        using var stored = JsonDocument.Parse(body);
        w.WriteStartObject();
        w.WriteString("_id", id);
        w.WriteString("_rev", path[0]);
        if (deleted) w.WriteBoolean("_deleted", true);
        foreach (var field in stored.RootElement.EnumerateObject().Where(f => f.Name != "_attachments")) field.WriteTo(w);
        if (stored.RootElement.ObjectOf("_attachments") is { } attachments)
        {
            w.WriteStartObject("_attachments");
            foreach (var attachment in attachments.EnumerateObject())
            {
                w.WriteStartObject(attachment.Name);
                foreach (var field in attachment.Value.EnumerateObject().Where(f => storedEncodings || !AttachmentStub.DescribesStoredForm(f.Name)))
                    field.WriteTo(w);
                var travels = form != AttachmentForm.Stubs && (attachment.Value.LongOf("revpos") is not { } revpos || revpos > known);
                if (!travels) w.WriteBoolean("stub", true);
                else if (form == AttachmentForm.Follows) w.WriteBoolean("follows", true);
                else w.WriteBase64String("data", Decoded(read(attachment.Value.StringOf("digest") ?? "")));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteStartObject("_revisions");
        w.WriteNumber("start", RevisionTree.Generation(path[0]));
        w.WriteStartArray("ids");
        foreach (var rev in path) w.WriteStringValue(rev[(rev.IndexOf('-') + 1)..]);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The attachments that follow a revision's JSON, in its order: those newer than generation
    /// <paramref name="known"/>, by digest.
    /// </summary>
    public static List<string> Following(string body, long known)
    {
        using var stored = JsonDocument.Parse(body);
        return stored.RootElement.ObjectOf("_attachments") is { } attachments
            ? attachments.EnumerateObject().Select(a => a.Value)
                .Where(a => a.LongOf("revpos") is not { } revpos || revpos > known)
                .Select(a => a.StringOf("digest") ?? "").ToList()
            : [];
    }

    /// <summary>Inline data is decoded, as CouchDB gives it.</summary>
    private static byte[] Decoded(StoredAttachment attachment)
    {
        if (attachment.Encoding != "gzip") return attachment.Data;
        using var gzip = new GZipStream(new MemoryStream(attachment.Data), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}

/// <summary>Attachment data as stored, and its encoding (null when stored as it is).</summary>
internal sealed record StoredAttachment(string? Encoding, byte[] Data);
