using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.FileDatabase;

/// <summary>
/// Writing documents into a database file as an application writes them to CouchDB
/// (<c>_bulk_docs</c> with new edits): a document without <c>_rev</c> is new, or revives a deleted
/// one; with <c>_rev</c> it continues that leaf; anything else is a conflict. Ids and special
/// fields are checked before (<see cref="NewDocument"/>). The new revision is
/// then merged as a replicated one is, so one code path keeps the tree, bodies and attachments.
/// </summary>
internal sealed partial class FileCouchDatabase
{
    public async Task<IReadOnlyList<CouchDocumentWrite>> SaveAsync(IReadOnlyList<JsonElement> docs, CancellationToken ct)
    {
        var written = await UseAsync(c =>
        {
            using var transaction = c.BeginTransaction();
            var written = docs.Select(doc => Save(c, doc)).ToList();
            transaction.Commit();
            return written;
        }, ct);
        File.Signal();
        return written;
    }

    private CouchDocumentWrite Save(SqliteConnection c, JsonElement doc)
    {
        var id = doc.StringOf("_id") ?? NewDocument.NewId();
        var rev = doc.StringOf("_rev");
        CouchDocumentWrite Refused(string error, string reason) => new(id, null, error, reason);

        var tree = TreeOf(c, id);
        string? parent;
        if (rev is null)
        {
            // A document with no revision is new, or takes the place of a deleted one (CouchDB
            // continues the deleted leaf, so replicas see one history).
            if (tree is not null && !tree.IsDeleted(tree.Winner)) return Refused("conflict", "Document update conflict.");
            parent = tree?.Winner;
        }
        else
        {
            if (tree is null || !tree.Leaves.Contains(rev, StringComparer.Ordinal)) return Refused("conflict", "Document update conflict.");
            parent = rev;
        }

        var generation = parent is null ? 1 : RevisionTree.Generation(parent) + 1;
        var deleted = doc.BoolOf("_deleted") == true;
        string content;
        try
        {
            content = Content(c, id, doc, parent, generation);
        }
        catch (FormatException e)
        {
            return Refused("bad_request", e.Message);
        }
        catch (KeyNotFoundException e)
        {
            return Refused(CouchErrors.MissingStub, e.Message);
        }

        var hash = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes($"{parent}\n{deleted}\n{content}"))).ToLowerInvariant();
        var newRev = $"{generation}-{hash}";
        var path = parent is null ? [] : tree!.Path(parent);
        var revision = new DocRevision(Revision(id, newRev, deleted, content, path));
        var (body, attachments) = StoredBody.FromWritten(revision.Body);
        if (Refusal(c, revision, attachments) is { } refused) return Refused(refused.Error, refused.Reason ?? "");
        foreach (var attachment in attachments.Where(a => a.Data is not null)) StoreData(c, attachment);
        Merge(c, revision, body);
        return new CouchDocumentWrite(id, newRev, null, null) { Database = _path };
    }

    /// <summary>
    /// The new revision's content as JSON: the document's own fields and its attachments, new ones
    /// (<c>data</c>) added at this generation and stubs carried over from the parent revision.
    /// </summary>
    /// <exception cref="FormatException">An attachment that is neither data nor a stub, or data that is not base64.</exception>
    /// <exception cref="KeyNotFoundException">A stub the parent revision has no attachment for.</exception>
    private string Content(SqliteConnection c, string id, JsonElement doc, string? parent, long generation)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var field in doc.EnumerateObject().Where(f => !f.Name.StartsWith('_'))) field.WriteTo(w);
            if (doc.ObjectOf("_attachments") is { } attachments)
            {
                using var kept = parent is null ? null : JsonDocument.Parse(BodyOf(c, id, parent));
                var parentAttachments = kept?.RootElement.ObjectOf("_attachments");
                w.WriteStartObject("_attachments");
                foreach (var attachment in attachments.EnumerateObject())
                {
                    w.WritePropertyName(attachment.Name);
                    if (attachment.Value.BoolOf("stub") == true)
                    {
                        var old = parentAttachments?.Field(attachment.Name)
                            ?? throw new KeyNotFoundException($"no attachment '{attachment.Name}' on the revision {parent ?? "(none)"} to keep as a stub");
                        old.WriteTo(w);
                        continue;
                    }
                    if (attachment.Value.StringOf("data") is not { } data || !Convert.TryFromBase64String(data, new byte[data.Length], out _))
                        throw new FormatException($"attachment '{attachment.Name}' needs base64 data or \"stub\": true");
                    w.WriteStartObject();
                    w.WriteString("content_type", attachment.Value.StringOf("content_type") ?? "application/octet-stream");
                    w.WriteNumber("revpos", generation);
                    w.WriteString("data", data);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The revision as a replication would write it: id, revision, content and history.</summary>
    private static JsonElement Revision(string id, string rev, bool deleted, string content, IReadOnlyList<string> parentPath)
    {
        using var parsed = JsonDocument.Parse(content);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("_id", id);
            w.WriteString("_rev", rev);
            if (deleted) w.WriteBoolean("_deleted", true);
            foreach (var field in parsed.RootElement.EnumerateObject()) field.WriteTo(w);
            w.WriteStartObject("_revisions");
            w.WriteNumber("start", RevisionTree.Generation(rev));
            w.WriteStartArray("ids");
            foreach (var path in parentPath.Prepend(rev)) w.WriteStringValue(path[(path.IndexOf('-') + 1)..]);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using var revision = JsonDocument.Parse(buffer.ToArray());
        return revision.RootElement.Clone();
    }
}
