using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Mango;

namespace CouchReplication.FileDatabase;

/// <summary>
/// The changes feed of a database file: one row per document at the sequence of its last change,
/// with every leaf revision (style=all_docs) or the winner only, those the filter passes (doc_ids,
/// or a Mango selector matched as CouchDB matches it); integer sequences, as PouchDB's.
/// The continuous feed reads what was written since, and waits for the next write or a heartbeat.
/// </summary>
internal sealed partial class FileCouchDatabase
{
    public Task<ChangesPage> ReadChangesAsync(ChangesRequest request, int limit, CancellationToken ct)
    {
        var since = SinceOf(request);
        return UseAsync(c =>
        {
            var (changes, rows, last) = ReadRows(c, request, since, limit);
            using var count = c.CreateCommand();
            count.CommandText = "SELECT count(*) FROM docs WHERE seq > $since";
            count.Parameters.AddWithValue("$since", last);
            return new ChangesPage(changes.Select(r => r.Change).ToList(), rows, SeqOf(last), Convert.ToInt64(count.ExecuteScalar()));
        }, ct);
    }

    public Task<IContinuousChanges> FollowChangesAsync(ChangesRequest request, TimeSpan heartbeat, CancellationToken ct) =>
        Task.FromResult<IContinuousChanges>(new ContinuousChanges(this, request, SinceOf(request), heartbeat, ct));

    /// <summary>
    /// Up to <paramref name="limit"/> documents changed after <paramref name="since"/>, those the
    /// filter passes as changes; how many rows were read and the last one's sequence, where the next page starts.
    /// </summary>
    private static (List<(long Seq, Change Change)> Changes, int Rows, long Last) ReadRows(SqliteConnection c, ChangesRequest request, long since, int limit)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT id, seq, tree FROM docs WHERE seq > $since ORDER BY seq LIMIT $limit";
        command.Parameters.AddWithValue("$since", since);
        command.Parameters.AddWithValue("$limit", limit);
        using var row = command.ExecuteReader();
        var changes = new List<(long, Change)>();
        var rows = 0;
        var last = since;
        while (row.Read())
        {
            rows++;
            var id = row.GetString(0);
            last = row.GetInt64(1);
            var tree = RevisionTree.Parse(row.GetString(2));
            var passing = Passing(c, request.Filter, id, tree, request.WinningRevsOnly ? [tree.Winner] : tree.Leaves);
            if (passing.Count > 0) changes.Add((last, new Change(id, passing)));
        }
        return (changes, rows, last);
    }

    /// <summary>
    /// The revisions of a document the filter passes; the filters a file cannot apply are refused
    /// before a replication starts. A selector is matched against each revision on its own, as
    /// CouchDB does with style=all_docs: of a conflict only the leaves that match travel, and a
    /// deletion only when its tombstone's body still matches.
    /// </summary>
    private static IReadOnlyList<string> Passing(SqliteConnection c, ChangesFilter filter, string id, RevisionTree tree, IReadOnlyList<string> revs) =>
        filter.Kind switch
        {
            ChangesFilterKind.None => revs,
            ChangesFilterKind.DocIds => filter.DocIds!.Contains(id, StringComparer.Ordinal) ? revs : [],
            // A revision without a body is left out, as CouchDB leaves out one it cannot open.
            ChangesFilterKind.Selector => revs.Where(rev => ReadBody(c, id, rev) is { } body && filter.Matcher!.Matches(AsCouchDbGives(id, rev, tree.IsDeleted(rev), body))).ToList(),
            _ => throw ChangesFilter.NotForFileSource(),
        };

    /// <summary>
    /// A revision as CouchDB hands it to the selector (<c>couch_doc:to_json_obj</c> without
    /// options): <c>_id</c>, <c>_rev</c>, <c>_deleted</c> when deleted, the body, and the
    /// attachments last as stubs.
    /// </summary>
    private static MangoObject AsCouchDbGives(string id, string rev, bool deleted, string body)
    {
        using var stored = JsonDocument.Parse(body);
        var members = new List<KeyValuePair<string, object?>> { new("_id", id), new("_rev", rev) };
        if (deleted) members.Add(new("_deleted", true));
        foreach (var field in stored.RootElement.EnumerateObject())
            members.Add(new(field.Name, field.Name == "_attachments" ? Stubs(field.Value) : MangoValue.From(field.Value)));
        return new MangoObject(members);
    }

    /// <summary>Attachment descriptions as CouchDB's stubs: without att_encoding_info it shows no encoding.</summary>
    private static MangoObject Stubs(JsonElement attachments) => new(attachments.EnumerateObject().Select(a =>
    {
        var stub = new List<KeyValuePair<string, object?>>();
        foreach (var name in new[] { "content_type", "revpos", "digest", "length" })
            if (a.Value.TryGetProperty(name, out var value)) stub.Add(new(name, MangoValue.From(value)));
        stub.Add(new("stub", true));
        return new KeyValuePair<string, object?>(a.Name, new MangoObject(stub));
    }).ToArray());

    /// <summary>A file's sequences are integers; one from another database (a CouchDB string) is refused.</summary>
    private long SinceOf(ChangesRequest request) =>
        long.TryParse(request.Since.QueryValue, NumberStyles.None, CultureInfo.InvariantCulture, out var since)
            ? since
            : throw CouchReplicationException.InvalidArgument("since_seq", $"'{request.Since}' is not a sequence of the database file {_path} (an integer)");

    private static Seq SeqOf(long seq) => new(seq.ToString(CultureInfo.InvariantCulture));

    /// <summary>The continuous feed: rows read a page at a time; when there are none, the next write or a heartbeat.</summary>
    private sealed class ContinuousChanges(FileCouchDatabase db, ChangesRequest request, long since, TimeSpan heartbeat, CancellationToken ct)
        : IContinuousChanges
    {
        private readonly Queue<(long Seq, Change Change)> _ready = new();
        private long _last = since;

        public bool Gave { get; private set; }

        public async Task<ChangesLine?> ReadAsync()
        {
            while (_ready.Count == 0)
            {
                var changed = db.File.Changed;
                var (changes, rows, last) = await db.UseAsync(c => ReadRows(c, request, _last, 100), ct);
                _last = last;
                foreach (var change in changes) _ready.Enqueue(change);
                // Rows the filter left out: read on from after them.
                if (_ready.Count > 0 || rows > 0) continue;
                var woke = await Task.WhenAny(changed, Task.Delay(heartbeat, ct));
                ct.ThrowIfCancellationRequested();
                if (woke != changed) return ChangesLine.Heartbeat;
            }
            Gave = true;
            var (seq, next) = _ready.Dequeue();
            return new ChangesLine(SeqOf(seq), next, null);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
