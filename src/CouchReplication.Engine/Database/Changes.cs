using System.Text.Json;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>One row of the changes feed: a document and its leaf revisions (style=all_docs).</summary>
internal sealed record Change(string Id, IReadOnlyList<string> Revs);

/// <summary>What a changes request asks for: the changes after <see cref="Since"/> that pass <see cref="Filter"/>, every leaf or the winners only.</summary>
internal sealed record ChangesRequest(Seq Since, ChangesFilter Filter, bool WinningRevsOnly);

/// <summary>
/// One answer of the <c>feed=normal</c> changes feed: its changes (local documents left out, as
/// they are never replicated), how many rows it had, and where the next page starts.
/// </summary>
internal sealed record ChangesPage(IReadOnlyList<Change> Changes, int Rows, Seq LastSeq, long? Pending)
{
    /// <param name="root">The answer.</param>
    /// <param name="since">Where the page was asked from: the next page starts there too if the answer has no last_seq.</param>
    /// <param name="role">How messages name the database.</param>
    public static ChangesPage Parse(JsonElement root, Seq since, string role)
    {
        if (root.Field("results") is not { ValueKind: JsonValueKind.Array } results)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, $"The {role}'s _changes answer has no results array: is this a CouchDB server?");
        var changes = new List<Change>(results.GetArrayLength());
        var rows = 0;
        foreach (var row in results.EnumerateArray())
        {
            rows++;
            if (ChangesLine.Replicated(row) is { } change) changes.Add(change);
        }
        return new ChangesPage(changes, rows, root.Field("last_seq") is { } last ? Seq.From(last) : since, root.LongOf("pending"));
    }
}

/// <summary>
/// One line of the continuous changes feed: a change row (its sequence, and its change unless it
/// names a local document or no revision), the <c>last_seq</c> line with which the database ends
/// the feed, or a heartbeat (an empty line: the database had nothing to send for a while).
/// </summary>
internal sealed record ChangesLine(Seq? Sequence, Change? Change, Seq? LastSeq)
{
    /// <summary>An empty line, which the database sends every heartbeat interval when it has nothing else.</summary>
    public static readonly ChangesLine Heartbeat = new(null, null, null);

    /// <summary>Reads a line; an error line (the database failed while sending the feed) throws a transient ServerError.</summary>
    public static ChangesLine Parse(string line, string role)
    {
        using var json = JsonDocument.Parse(line);
        var row = json.RootElement;
        if (row.Field("error") is { } error)
            throw new CouchReplicationException(CouchErrorKind.ServerError, $"The {role}'s changes feed failed: {error} {row}", isTransient: true);
        if (row.Field("seq") is { } seq) return new ChangesLine(Seq.From(seq), Replicated(row), null);
        return new ChangesLine(null, null, row.Field("last_seq") is { } last ? Seq.From(last) : null);
    }

    /// <summary>A row's document and leaf revisions: <c>{"seq", "id", "changes":[{"rev"}]}</c>; null for a local document or a row without them.</summary>
    internal static Change? Replicated(JsonElement row)
    {
        if (row.StringOf("id") is not { } id || LocalDocId.Is(id)) return null;
        var revs = row.ArrayOf("changes").Select(change => change.StringOf("rev")).OfType<string>().ToList();
        return revs.Count == 0 ? null : new Change(id, revs);
    }
}

/// <summary>The continuous changes feed as it arrives, cancelled by the token it was opened with.</summary>
internal interface IContinuousChanges : IAsyncDisposable
{
    /// <summary>Whether the feed has given a line yet, one it then failed to read included.</summary>
    bool Gave { get; }

    /// <summary>
    /// The next line (<see cref="ChangesLine.Heartbeat"/> for a heartbeat), or null when the database
    /// ends the feed. A feed silent for three heartbeats throws a transient Timeout; a dropped one throws what the connection
    /// threw (<see cref="IOException"/>, <see cref="HttpRequestException"/>, <see cref="JsonException"/>).
    /// </summary>
    Task<ChangesLine?> ReadAsync();
}
