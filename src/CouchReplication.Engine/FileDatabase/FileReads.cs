using System.IO.Compression;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.FileDatabase;

/// <summary>
/// Reading a database file as a source: <c>_revs_diff</c>, and revisions with their history as
/// <c>_bulk_get</c> and <c>open_revs</c> give them (the newest leaves of each requested revision,
/// attachments as stubs with their stored encoding, inline, or following the JSON as stored, or
/// decoded for a target that cannot keep an encoding).
/// </summary>
internal sealed partial class FileCouchDatabase
{
    public Task<IReadOnlyList<MissingRevs>> RevsDiffAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> revsById, CancellationToken ct) =>
        UseAsync<IReadOnlyList<MissingRevs>>(c =>
        {
            var missing = new List<MissingRevs>();
            foreach (var (id, revs) in revsById)
            {
                var tree = TreeOf(c, id) ?? RevisionTree.Empty();
                var lacking = revs.Where(rev => !tree.Contains(rev)).Distinct().ToList();
                if (lacking.Count == 0) continue;
                // CouchDB's possible ancestors: the leaves older than the newest missing revision.
                var newest = lacking.Max(RevisionTree.Generation);
                missing.Add(new MissingRevs(id, lacking, tree.Leaves.Where(leaf => RevisionTree.Generation(leaf) < newest).ToList()));
            }
            return missing;
        }, ct);

    public async Task<ReadAnswer<IReadOnlyList<BulkGetResult>>?> BulkGetAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct) =>
        await ReadBulkAsync(revisions, latest: true, AttachmentForm.Stubs, ct);

    public Task<ReadAnswer<IReadOnlyList<BulkGetResult>>> BulkGetWithAttachmentsAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct) =>
        ReadBulkAsync(revisions, latest: false, AttachmentForm.Inline, ct);

    public async Task<ReadAnswer<IReadOnlyList<RevisionEntry>>> OpenRevsAsync(string id, IReadOnlyList<string> revs, bool withAttachments,
        CancellationToken ct)
    {
        var requests = revs.Select(rev => new RevisionRequest(id, rev, withAttachments ? [] : null)).ToList();
        var answer = await ReadBulkAsync(requests, latest: true, withAttachments ? AttachmentForm.Inline : AttachmentForm.Stubs, ct);
        return new ReadAnswer<IReadOnlyList<RevisionEntry>>(answer.Value.SelectMany(r => r.Entries).ToList(), answer);
    }

    public async Task<IRevisionParts> OpenRevisionWithAttachmentsAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct)
    {
        var answer = await ReadBulkAsync([new RevisionRequest(id, rev, attsSince)], latest: true, AttachmentForm.Follows, ct);
        var parts = new Queue<RevisionPart>();
        foreach (var entry in answer.Value.SelectMany(r => r.Entries))
        {
            if (entry.Revision is not { } revision)
            {
                parts.Enqueue(new RevisionNotGiven(entry.Problem!));
                continue;
            }
            var following = await UseAsync(c => StoredBody.Following(BodyOf(c, revision.Id, revision.Rev!), Known(revision.History, attsSince)), ct);
            if (following.Count == 0)
            {
                parts.Enqueue(new PlainRevisions([revision], NotOwned.Instance));
                continue;
            }
            // Each attachment streams from the file a piece at a time, whatever its size or encoding.
            var next = new Queue<string>(following);
            parts.Enqueue(new RevisionWithAttachments(revision, JsonSerializer.SerializeToUtf8Bytes(revision.Body),
                async token => next.Count == 0 ? null : await UseAsync(c => StreamOf(c, next.Dequeue()), token)));
        }
        return new RevisionParts(parts, answer);
    }

    /// <summary>
    /// Reads revisions: each requested one, or with <paramref name="latest"/> the leaves that
    /// continue it; attachments in <paramref name="form"/>, those newer than the request's atts_since travelling.
    /// </summary>
    private async Task<ReadAnswer<IReadOnlyList<BulkGetResult>>> ReadBulkAsync(IReadOnlyList<RevisionRequest> revisions, bool latest,
        AttachmentForm form, CancellationToken ct)
    {
        var (answer, shape) = await UseAsync(c =>
        {
            var shape = new List<(string Id, List<(int? Index, string Rev)> Entries)>();
            var buffer = new PooledJson();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartArray();
                var written = 0;
                foreach (var (id, rev, attsSince) in revisions)
                {
                    var tree = TreeOf(c, id);
                    var leaves = tree is null || !tree.Contains(rev) ? [] : latest ? tree.LeavesFrom(rev).ToList() : [rev];
                    var entries = new List<(int?, string)>();
                    foreach (var leaf in leaves)
                    {
                        var path = tree!.Path(leaf);
                        if (ReadBody(c, id, leaf) is not { } body)
                        {
                            entries.Add((null, leaf));
                            continue;
                        }
                        StoredBody.WriteRevision(w, id, path, tree.IsDeleted(leaf), body, form, Known(path, attsSince ?? []), GivesStoredEncodings,
                            d => AttachmentOf(c, d));
                        entries.Add((written++, leaf));
                    }
                    if (entries.Count == 0) entries.Add((null, rev));
                    shape.Add((id, entries));
                }
                w.WriteEndArray();
            }
            return (buffer, shape);
        }, ct);
        var document = answer.Parse();
        var read = shape.Select(s => new BulkGetResult(s.Id, s.Entries.Select(e => e.Index is { } index
            ? new RevisionEntry(new DocRevision(document.RootElement[index]), null)
            : new RevisionEntry(null, $"revision {e.Rev} is missing")).ToList())).ToList();
        return new ReadAnswer<IReadOnlyList<BulkGetResult>>(read, answer);
    }

    /// <summary>
    /// The newest generation among the revisions the reader has (<c>atts_since</c>) on this
    /// revision's path: attachments up to it do not travel. With none, -1: every attachment
    /// travels, even one with revpos 0, which CouchDB gives an attachment written with
    /// <c>new_edits=false</c> and no revpos.
    /// </summary>
    private static long Known(IEnumerable<string> path, IReadOnlyList<string> attsSince)
    {
        var since = attsSince.ToHashSet(StringComparer.Ordinal);
        return path.Where(since.Contains).Select(RevisionTree.Generation).DefaultIfEmpty(-1).Max();
    }

    private static RevisionTree? TreeOf(SqliteConnection c, string id)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT tree FROM docs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() is string tree ? RevisionTree.Parse(tree) : null;
    }

    private static string? ReadBody(SqliteConnection c, string id, string rev)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT body FROM bodies WHERE id = $id AND rev = $rev";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$rev", rev);
        return command.ExecuteScalar() as string;
    }

    private string BodyOf(SqliteConnection c, string id, string rev) =>
        ReadBody(c, id, rev) ?? throw new CouchReplicationException(CouchErrorKind.RevisionUnreadable, $"The {_role} {_path} has no body for {id} {rev}.", url: _path);

    private StoredAttachment AttachmentOf(SqliteConnection c, string digest) =>
        ReadAttachment(c, digest, "encoding, data", row => new StoredAttachment(row.IsDBNull(0) ? null : row.GetString(0), (byte[])row[1]));

    /// <summary>
    /// An attachment's data as a stream that reads it from the file a piece at a time: as stored, or
    /// decompressed as it is read when the reader takes attachments decoded.
    /// </summary>
    private Stream StreamOf(SqliteConnection c, string digest) =>
        ReadAttachment<Stream>(c, digest, "rowid, length(data), encoding", row =>
        {
            var stored = new StoredAttachmentStream(File, row.GetInt64(0), row.GetInt64(1));
            var encoding = row.IsDBNull(2) ? null : row.GetString(2);
            return GivesStoredEncodings || encoding != "gzip" ? stored : new GZipStream(stored, CompressionMode.Decompress);
        });

    /// <summary>Reads <paramref name="columns"/> of the attachment with <paramref name="digest"/>; one the file lacks is unreadable.</summary>
    private T ReadAttachment<T>(SqliteConnection c, string digest, string columns, Func<SqliteDataReader, T> read)
    {
        using var command = c.CreateCommand();
        command.CommandText = $"SELECT {columns} FROM attachments WHERE digest = $digest";
        command.Parameters.AddWithValue("$digest", digest);
        using var row = command.ExecuteReader();
        if (!row.Read())
            throw new CouchReplicationException(CouchErrorKind.RevisionUnreadable, $"The {_role} {_path} has no attachment with digest {digest}.", url: _path);
        return read(row);
    }

    /// <summary>The parts of one read, one revision each; the answer they point into is disposed with them.</summary>
    private sealed class RevisionParts(Queue<RevisionPart> parts, IDisposable answer) : IRevisionParts
    {
        public Task<RevisionPart?> NextAsync(CancellationToken ct) => Task.FromResult(parts.TryDequeue(out var part) ? part : null);

        public ValueTask DisposeAsync()
        {
            answer.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>For a part whose revision points into an answer its <see cref="RevisionParts"/> disposes.</summary>
    private sealed class NotOwned : IDisposable
    {
        public static readonly NotOwned Instance = new();

        public void Dispose()
        {
        }
    }
}
