using System.Globalization;
using Microsoft.Data.Sqlite;
using CouchReplication.Database;

namespace CouchReplication.FileDatabase;

/// <summary>
/// Writing a database file as a target, as <c>new_edits=false</c> does: each revision merged into
/// its document's tree with its history, the document given the next update sequence, leaf bodies
/// kept and ancestors' bodies dropped, attachment data stored once per digest. One transaction per
/// request, so a killed process leaves the file as it was before the batch.
/// </summary>
internal sealed partial class FileCouchDatabase
{
    public async Task<BulkDocsAnswer> BulkDocsAsync(IReadOnlyList<DocRevision> revisions, CancellationToken ct)
    {
        var failures = await UseAsync(c =>
        {
            using var transaction = c.BeginTransaction();
            var failures = new List<CouchDocWriteFailure>();
            foreach (var revision in revisions)
            {
                var (body, attachments) = StoredBody.FromWritten(revision.Body);
                if (Refusal(c, revision, attachments) is { } refused)
                {
                    failures.Add(refused);
                    continue;
                }
                foreach (var attachment in attachments.Where(a => a.Data is not null)) StoreData(c, attachment);
                Merge(c, revision, body);
            }
            transaction.Commit();
            return failures;
        }, ct);
        File.Signal();
        return new BulkDocsAnswer(failures);
    }

    /// <summary>
    /// Writes one revision with the data of its following attachments streamed into the file as it
    /// arrives. A stub the file lacks throws <see cref="CouchErrors.MissingStub"/>: the revision is sent again with every attachment.
    /// </summary>
    public async Task<CouchDocWriteFailure?> PutWithAttachmentsAsync(RevisionWithAttachments revision, CancellationToken ct)
    {
        var doc = revision.Revision;
        var (body, attachments) = StoredBody.FromWritten(doc.Body);
        var failure = await File.UseAsync(async c =>
        {
            using var transaction = c.BeginTransaction();
            if (Refusal(c, doc, attachments) is { } refused)
            {
                if (refused.Error == CouchErrors.MissingStub)
                    throw new CouchReplicationException(CouchErrorKind.BadRequest, $"{doc.Id} {doc.Rev}: {refused.Reason}", 412, refused.Error, refused.Reason, _path);
                return refused;
            }
            foreach (var attachment in attachments.Where(a => a.Follows))
            {
                var stream = await revision.NextAttachment(ct)
                    ?? throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The source gave no data for attachment '{attachment.Name}' of {doc.Id} {doc.Rev}.");
                await StoreStreamAsync(c, attachment, stream, ct);
            }
            Merge(c, doc, body);
            transaction.Commit();
            return null;
        }, ct);
        File.Signal();
        return failure;
    }

    /// <summary>Why the file will not take a revision (as CouchDB would refuse it), or null.</summary>
    private static CouchDocWriteFailure? Refusal(SqliteConnection c, DocRevision revision, List<IncomingAttachment> attachments)
    {
        if (revision.Id.Length == 0 || revision.Rev is null || RevisionTree.Generation(revision.Rev) < 1)
            return new CouchDocWriteFailure(revision.Id, revision.Rev, "bad_request", "a revision needs _id and _rev");
        if (LocalDocId.Is(revision.Id))
            return new CouchDocWriteFailure(revision.Id, revision.Rev, "bad_request", "_local documents are not replicated");
        foreach (var attachment in attachments.Where(a => a.Data is null))
        {
            if (attachment.Digest.Length == 0)
                return new CouchDocWriteFailure(revision.Id, revision.Rev, "bad_request", $"attachment '{attachment.Name}' has no digest");
            if (!attachment.Follows && !HasAttachment(c, attachment.Digest))
                return new CouchDocWriteFailure(revision.Id, revision.Rev, CouchErrors.MissingStub, $"no attachment with digest {attachment.Digest} for stub '{attachment.Name}'");
        }
        return null;
    }

    /// <summary>Merges a revision into its document's tree; a revision the file has already changes nothing.</summary>
    private void Merge(SqliteConnection c, DocRevision revision, string body)
    {
        var history = revision.History.ToList();
        var tree = TreeOf(c, revision.Id) ?? RevisionTree.Empty();
        if (!tree.Merge(history, revision.Body.TryGetProperty("_deleted", out var deleted) && deleted.ValueKind == System.Text.Json.JsonValueKind.True,
                File.RevsLimit))
            return;
        using var command = c.CreateCommand();
        command.CommandText = """
            UPDATE settings SET value = value + 1 WHERE name = 'update_seq';
            INSERT INTO docs (id, seq, tree) VALUES ($id, (SELECT value FROM settings WHERE name = 'update_seq'), $tree)
              ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, tree = excluded.tree;
            INSERT INTO bodies (id, rev, body) VALUES ($id, $rev, $body);
            """;
        command.Parameters.AddWithValue("$id", revision.Id);
        command.Parameters.AddWithValue("$tree", tree.ToJson());
        command.Parameters.AddWithValue("$rev", history[0]);
        command.Parameters.AddWithValue("$body", body);
        command.ExecuteNonQuery();

        // Only leaves are read; an ancestor's body, or one stemming cut off, is not kept.
        var leaves = tree.Leaves.ToHashSet(StringComparer.Ordinal);
        using var drop = c.CreateCommand();
        drop.CommandText = "DELETE FROM bodies WHERE id = $id AND rev = $rev";
        var dropId = drop.Parameters.Add("$id", SqliteType.Text);
        var dropRev = drop.Parameters.Add("$rev", SqliteType.Text);
        foreach (var rev in ReadBodyRevs(c, revision.Id).Where(rev => !leaves.Contains(rev)))
        {
            dropId.Value = revision.Id;
            dropRev.Value = rev;
            drop.ExecuteNonQuery();
        }
    }

    private static List<string> ReadBodyRevs(SqliteConnection c, string id)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT rev FROM bodies WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var row = command.ExecuteReader();
        var revs = new List<string>();
        while (row.Read()) revs.Add(row.GetString(0));
        return revs;
    }

    private static bool HasAttachment(SqliteConnection c, string digest)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT 1 FROM attachments WHERE digest = $digest";
        command.Parameters.AddWithValue("$digest", digest);
        return command.ExecuteScalar() is not null;
    }

    private static void StoreData(SqliteConnection c, IncomingAttachment attachment)
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO attachments (digest, encoding, length, data) VALUES ($digest, $encoding, $length, $data)";
        command.Parameters.AddWithValue("$digest", attachment.Digest);
        command.Parameters.AddWithValue("$encoding", (object?)attachment.Encoding ?? DBNull.Value);
        command.Parameters.AddWithValue("$length", attachment.Data!.LongLength);
        command.Parameters.AddWithValue("$data", attachment.Data);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Streams an attachment's data, as stored at the source, into the file; one the file has
    /// already (same digest) is read past. The length the JSON gave must be the length that came.
    /// </summary>
    private async Task StoreStreamAsync(SqliteConnection c, IncomingAttachment attachment, Stream data, CancellationToken ct)
    {
        await using var _ = data;
        using var command = c.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO attachments (digest, encoding, length, data) VALUES ($digest, $encoding, $length, zeroblob($length))
            RETURNING rowid
            """;
        command.Parameters.AddWithValue("$digest", attachment.Digest);
        command.Parameters.AddWithValue("$encoding", (object?)attachment.Encoding ?? DBNull.Value);
        command.Parameters.AddWithValue("$length", attachment.StoredLength);
        if (command.ExecuteScalar() is not long rowid)
        {
            await data.CopyToAsync(Stream.Null, ct);
            return;
        }
        using var blob = new SqliteBlob(c, "attachments", "data", rowid);
        var buffer = new byte[81920];
        long copied = 0;
        int read;
        while ((read = await data.ReadAsync(buffer, ct)) > 0)
        {
            if (copied + read > attachment.StoredLength) break;
            blob.Write(buffer, 0, read);
            copied += read;
        }
        if (copied != attachment.StoredLength || read > 0)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                $"Attachment '{attachment.Name}' ({attachment.Digest}) came with a length other than the {attachment.StoredLength.ToString(CultureInfo.InvariantCulture)} bytes its stub gives.", url: _path);
    }
}
