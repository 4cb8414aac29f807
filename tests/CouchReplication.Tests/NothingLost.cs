using System.Text.Json;
using System.Text.RegularExpressions;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// The invariant every replication in every suite ends with: each leaf revision of each source
/// document in scope is on the target, with the same body, history, deletion flag and attachment
/// digests, or that document is among the replication's reported failures. Read with plain HTTP,
/// independent of the engine, in bulk (<c>_changes?style=all_docs</c>, then <c>_bulk_get</c> on
/// both sides), so it stays cheap on the 20,000-document fault runs.
/// </summary>
internal static partial class NothingLost
{
    private const int Chunk = 500;

    /// <summary>
    /// Runs a one-shot replication in a fresh registry and asserts the invariant on its outcome:
    /// the way every suite replicates, so a new scenario gets the check for free.
    /// </summary>
    public static async Task<CouchReplicationResult> ReplicateAsync(CouchServer server, ReplicationSettings settings, TimeSpan limit,
        Func<string, bool>? inScope = null, ReplicationRegistry? registry = null)
    {
        var result = await (await (registry ?? new ReplicationRegistry()).StartAsync(settings)).Task.GetResultAsync().WaitAsync(limit);
        await AfterAsync(server, settings, result, inScope);
        return result;
    }

    /// <inheritdoc cref="ReplicateAsync(CouchServer, ReplicationSettings, TimeSpan, Func{string, bool}?, ReplicationRegistry?)"/>
    public static Task<CouchReplicationResult> ReplicateAsync(CouchServer server, CouchReplicationDoc doc, TimeSpan limit,
        Func<string, bool>? inScope = null, ReplicationRegistry? registry = null) =>
        ReplicateAsync(server, ReplicationSettings.From(doc), limit, inScope, registry);

    /// <summary>
    /// Asserts the invariant after a replication whose source and target are databases of
    /// <paramref name="server"/> (directly or through a proxy in front of it). The scope follows
    /// from doc_ids; a filter function, view or selector must be given its scope.
    /// </summary>
    public static Task AfterAsync(CouchServer server, ReplicationSettings settings, CouchReplicationResult result, Func<string, bool>? inScope = null)
    {
        var filter = settings.Filter;
        if (inScope is null && filter.Kind == ChangesFilterKind.DocIds) inScope = filter.DocIds!.Contains;
        if (inScope is null && filter.Kind != ChangesFilterKind.None)
            throw new InvalidOperationException("A filtered replication needs the ids in its scope for the nothing-lost check.");
        return AssertAsync(server.Client, DatabaseOf(settings.Source.DatabaseUri), DatabaseOf(settings.Target.DatabaseUri), result.Failures, inScope, settings.WinningRevsOnly);
    }

    private static string DatabaseOf(Uri database) => Uri.UnescapeDataString(database.Segments[^1].TrimEnd('/'));

    /// <summary>Asserts the invariant after a replication from <paramref name="sourceDb"/> to <paramref name="targetDb"/>.</summary>
    /// <param name="client">A client of the server both databases are on.</param>
    /// <param name="failures">The documents the replication reported as refused (the result's <c>Failures</c>).</param>
    /// <param name="inScope">Which document ids the replication was asked for (a filter, doc_ids); all when null.</param>
    /// <param name="winningOnly">winning_revs_only: only each document's winning revision is owed.</param>
    public static Task AssertAsync(CouchTestClient client, string sourceDb, string targetDb,
        IEnumerable<CouchDocWriteFailure>? failures = null, Func<string, bool>? inScope = null, bool winningOnly = false) =>
        AssertAsync(client, client, sourceDb, targetDb, failures, inScope, winningOnly);

    /// <summary>
    /// Asserts the invariant for a source and a target on two servers. Between two kinds of server
    /// (<paramref name="kindsDiffer"/>) an attachment's digest and stored encoding may differ for the
    /// same content: CouchDB compresses what it stores and digests that, pouchdb-server digests the
    /// bytes as given. Then every attachment's content is compared instead, byte for byte (SHA-256).
    /// </summary>
    public static async Task AssertAsync(CouchTestClient sourceClient, CouchTestClient targetClient, string sourceDb, string targetDb,
        IEnumerable<CouchDocWriteFailure>? failures = null, Func<string, bool>? inScope = null, bool winningOnly = false, bool kindsDiffer = false)
    {
        var excused = (failures ?? []).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var owed = await LeavesAsync(sourceClient, sourceDb, winningOnly);
        var checkedLeaves = 0;
        foreach (var chunk in owed.Where(l => inScope?.Invoke(l.Id) ?? true).Where(l => !excused.Contains(l.Id)).Chunk(Chunk))
        {
            var onSource = await BulkGetAsync(sourceClient, sourceDb, chunk);
            var onTarget = await BulkGetAsync(targetClient, targetDb, chunk);
            foreach (var leaf in chunk)
            {
                checkedLeaves++;
                if (!onTarget.TryGetValue(leaf, out var copy))
                {
                    using var there = await targetClient.GetJsonAsync($"{targetDb}/{CouchTestClient.DocPath(leaf.Id)}?open_revs=all&revs=true");
                    Assert.Fail($"nothing lost: revision {leaf.Rev} of '{leaf.Id}' is on the source but neither on the target nor among the reported failures; the target has {there.RootElement.GetRawText()} (bulk get gave {onTarget.Count} of {chunk.Length})");
                }
                Assert.True(onSource.TryGetValue(leaf, out var original), $"the source no longer gives {leaf.Rev} of '{leaf.Id}'");
                Assert.True(Comparable(original, kindsDiffer) == Comparable(copy, kindsDiffer),
                    $"nothing lost: revision {leaf.Rev} of '{leaf.Id}' differs on the target.\nsource: {original}\ntarget: {copy}");
                if (kindsDiffer)
                    foreach (var name in AttachmentNames(original))
                        Assert.True(await sourceClient.AttachmentHashAsync(sourceDb, leaf.Id, name, leaf.Rev) == await targetClient.AttachmentHashAsync(targetDb, leaf.Id, name, leaf.Rev),
                            $"nothing lost: attachment '{name}' of revision {leaf.Rev} of '{leaf.Id}' has other bytes on the target");
            }
        }
        Assert.True(checkedLeaves > 0 || owed.Count == 0 || inScope is not null || excused.Count > 0, "the invariant checked nothing");
    }

    /// <summary>Every leaf revision of every document in the database (the winner only when asked), from the changes feed.</summary>
    private static async Task<List<(string Id, string Rev)>> LeavesAsync(CouchTestClient client, string db, bool winningOnly)
    {
        using var changes = await client.GetJsonAsync($"{db}/_changes?style={(winningOnly ? "main_only" : "all_docs")}");
        var leaves = new HashSet<(string Id, string Rev)>();
        foreach (var row in changes.RootElement.GetProperty("results").EnumerateArray())
        {
            var id = row.GetProperty("id").GetString()!;
            foreach (var change in row.GetProperty("changes").EnumerateArray())
                leaves.Add((id, change.GetProperty("rev").GetString()!));
        }
        return [.. leaves.OrderBy(l => l.Id, StringComparer.Ordinal).ThenBy(l => l.Rev, StringComparer.Ordinal)];
    }

    /// <summary>The given revisions with their history and attachment stubs, as canonical JSON, by (id, rev); missing ones are absent.</summary>
    private static async Task<Dictionary<(string Id, string Rev), string>> BulkGetAsync(CouchTestClient client, string db, IEnumerable<(string Id, string Rev)> revisions)
    {
        var body = new Dictionary<string, object?>
        {
            ["docs"] = revisions.Select(r => (object?)new Dictionary<string, object?> { ["id"] = r.Id, ["rev"] = r.Rev }).ToList(),
        };
        using var answer = await client.PostJsonAsync($"{db}/_bulk_get?revs=true&att_encoding_info=true", PlainJson.Serialize(body));
        var found = new Dictionary<(string, string), string>();
        foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
            foreach (var entry in result.GetProperty("docs").EnumerateArray())
                if (entry.TryGetProperty("ok", out var doc))
                    found[(doc.GetProperty("_id").GetString()!, doc.GetProperty("_rev").GetString()!)] = PlainJson.Serialize(PlainJson.ToPlain(doc), canonical: true);
        return found;
    }

    /// <summary>
    /// A revision as both sides must agree on it. pouchdb-server sets an inline attachment's
    /// <c>revpos</c> to the written generation (as its own replicator does), so revpos is left out;
    /// digest, length, type and stored encoding must match, except that between two kinds of server
    /// (<paramref name="kindsDiffer"/>) digest and stored encoding are left out too.
    /// </summary>
    private static string Comparable(string canonicalJson, bool kindsDiffer)
    {
        var withoutRevpos = Revpos().Replace(canonicalJson, "\"revpos\":_");
        return kindsDiffer ? StoredForm().Replace(withoutRevpos, "") : withoutRevpos;
    }

    [GeneratedRegex("\"revpos\":[0-9]+")]
    private static partial Regex Revpos();

    /// <summary>What two kinds of server may store differently for the same attachment (canonical JSON orders fields by name).</summary>
    [GeneratedRegex("\"(digest|encoded_length|encoding)\":(\"[^\"]*\"|[0-9]+),?")]
    private static partial Regex StoredForm();

    private static IEnumerable<string> AttachmentNames(string canonicalJson)
    {
        using var doc = JsonDocument.Parse(canonicalJson);
        return doc.RootElement.TryGetProperty("_attachments", out var attachments) ? attachments.EnumerateObject().Select(a => a.Name).ToList() : [];
    }
}
