using System.Globalization;
using CouchReplication.CouchApi;
using CouchReplication.Json;
using CouchReplication.Protocol;
using Microsoft.Data.Sqlite;

namespace CouchReplication.LocalFile;

/// <summary>
/// The changes feed of a database file: one row per document at the sequence of its last change,
/// with every leaf revision (style=all_docs) or the winner only; integer sequences, as PouchDB's.
/// The continuous feed reads what was written since, and waits for the next write or a heartbeat.
/// </summary>
internal sealed partial class LocalCouchDatabase
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
            if (!Passes(request.Filter, id)) continue;
            var tree = RevisionTree.Parse(row.GetString(2));
            changes.Add((last, new Change(id, request.WinningRevsOnly ? [tree.Winner] : tree.Leaves)));
        }
        return (changes, rows, last);
    }

    /// <summary>Whether the filter passes a document; the filters a file cannot apply are refused before a replication starts.</summary>
    private static bool Passes(ChangesFilter filter, string id) => filter.Kind switch
    {
        ChangesFilterKind.None => true,
        ChangesFilterKind.DocIds => filter.DocIds!.Contains(id, StringComparer.Ordinal),
        _ => throw Unfiltered(filter),
    };

    /// <summary>The error for a filter a database file source cannot apply.</summary>
    internal static CouchReplicationException Unfiltered(ChangesFilter filter) => filter.Kind == ChangesFilterKind.Selector
        ? CouchReplicationException.InvalidArgument("selector", "a database file source cannot apply a Mango selector yet; use doc_ids")
        : CouchReplicationException.InvalidArgument("filter",
            "a database file source cannot run a design document's JavaScript (a filter function or _view); use doc_ids");

    /// <summary>A file's sequences are integers; one from another database (a CouchDB string) is refused.</summary>
    private long SinceOf(ChangesRequest request) =>
        long.TryParse(request.Since.QueryValue, NumberStyles.None, CultureInfo.InvariantCulture, out var since)
            ? since
            : throw CouchReplicationException.InvalidArgument("since_seq", $"'{request.Since}' is not a sequence of the database file {_path} (an integer)");

    private static Seq SeqOf(long seq) => new(seq.ToString(CultureInfo.InvariantCulture));

    /// <summary>The continuous feed: rows read a page at a time; when there are none, the next write or a heartbeat.</summary>
    private sealed class ContinuousChanges(LocalCouchDatabase db, ChangesRequest request, long since, TimeSpan heartbeat, CancellationToken ct)
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
