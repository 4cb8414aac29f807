using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>
/// Selective replication: each filter must select what the server's own replicator selects for
/// the same document (compared directly on CouchDB) and the expected ids everywhere.
/// </summary>
public abstract class FilteredReplicationTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const string FilterFunction = "function (doc, req) { return doc.type === req.query.type; }";

    /// <summary>The documents of type a in the seeded source: what a filter for type a selects.</summary>
    private static readonly string[] TypeA = ["a-conflict", "a-deleted", "a1", "a2"];

    protected override ReplicationRegistry Registry => ReplicationRegistry.Session;

    /// <summary>Two documents of type a, one of type b, a deleted type-a document, a type-a conflict, and a design document.</summary>
    private async Task<string> SeedAsync()
    {
        var db = await NewDbAsync("source",
        [
            new Dictionary<string, object?> { ["_id"] = "a1", ["type"] = "a" },
            new Dictionary<string, object?> { ["_id"] = "a2", ["type"] = "a" },
            new Dictionary<string, object?> { ["_id"] = "b1", ["type"] = "b" },
        ]);
        var rev = await Client.PutDocAsync(db, "a-deleted", new Dictionary<string, object?> { ["type"] = "a" });
        await Client.PutDocAsync(db, "a-deleted", new Dictionary<string, object?> { ["_rev"] = rev, ["_deleted"] = true, ["type"] = "a" });
        var left = TestData.Revision("a-conflict", [TestData.Rev(1, "left")], value: "left");
        var right = TestData.Revision("a-conflict", [TestData.Rev(1, "right")], value: "right");
        left["type"] = right["type"] = "a";
        await Client.BulkDocsAsync(db, [left, right], newEdits: false);
        await Client.PutDocAsync(db, "_design/app", new Dictionary<string, object?>
        {
            ["filters"] = new Dictionary<string, object?> { ["bytype"] = FilterFunction },
            ["views"] = new Dictionary<string, object?> { ["as"] = new Dictionary<string, object?> { ["map"] = "function (doc) { if (doc.type === 'a') emit(doc._id); }" } },
        });
        return db;
    }

    /// <summary>Replicates with the engine and, on CouchDB, with the server's replicator; both must agree with <paramref name="expected"/>.</summary>
    private async Task AssertSelectsAsync(Action<CouchReplicationDoc> filter, Dictionary<string, object?> sameFilterAsJson, params string[] expected)
    {
        var sourceDb = await SeedAsync();
        var targetDb = CouchServer.NewDbName("target");
        var result = await ReplicateAsync(Doc(sourceDb, targetDb, filter), expected.Contains);

        Assert.True(result.Ok);
        var ours = await Client.SnapshotAsync(targetDb);
        Assert.Equal(expected.Order(StringComparer.Ordinal), ours.Keys);
        var source = await Client.SnapshotAsync(sourceDb);
        Assert.All(ours, tree => Assert.Equal(source[tree.Key], tree.Value));

        if (Server.IsCouchDb)
        {
            var theirsDb = CouchServer.NewDbName("native");
            var native = new Dictionary<string, object?>(sameFilterAsJson)
            {
                ["source"] = Url(sourceDb),
                ["target"] = Url(theirsDb),
                ["create_target"] = true,
            };
            await Client.ReplicateOnServerAsync(native);
            Assert.Equal(await Client.SnapshotAsync(theirsDb), ours);
        }
    }

    [ServerFact]
    public Task Doc_ids_select_those_documents_deleted_and_design_ones_included() =>
        AssertSelectsAsync(d => d.DocIds = ["a1", "a-deleted", "_design/app", "no-such-doc"],
            new() { ["doc_ids"] = new[] { "a1", "a-deleted", "_design/app", "no-such-doc" } },
            "_design/app", "a-deleted", "a1");

    /// <summary><see cref="AssertSelectsAsync"/> for a filter with one query parameter.</summary>
    private Task AssertFilterSelectsAsync(string filter, string parameter, string value, params string[] expected) =>
        AssertSelectsAsync(d => { d.Filter = filter; d.QueryParams = new Dictionary<string, object?> { [parameter] = value }; },
            new() { ["filter"] = filter, ["query_params"] = new Dictionary<string, object?> { [parameter] = value } },
            expected);

    [ServerFact]
    public Task A_filter_function_selects_with_its_query_params() => AssertFilterSelectsAsync("app/bytype", "type", "a", TypeA);

    [ServerFact]
    public Task A_selector_selects_the_documents_it_matches() =>
        AssertSelectsAsync(d => d.SetField("selector", """{"type": "a"}"""),
            new() { ["selector"] = new Dictionary<string, object?> { ["type"] = "a" } },
            TypeA);

    // The tombstone keeps its body, and both servers run the map function over it.
    [ServerFact]
    public Task A_view_filter_selects_what_the_map_function_emits() => AssertFilterSelectsAsync("_view", "view", "app/as", TypeA);

    [ServerFact]
    public async Task A_changed_filter_function_is_a_new_replication_that_starts_afresh()
    {
        var sourceDb = await SeedAsync();
        var doc = new CouchReplicationDoc
        {
            Source = Url(sourceDb), Target = Server.NewDbUrl("target"), CreateTarget = true,
            Filter = "app/bytype", QueryParams = new Dictionary<string, object?> { ["type"] = "a" },
        };
        // Type a: a1, a2, a-conflict; the deleted one keeps its type, so it passes too.
        Func<string, bool> typeA = id => id.StartsWith('a');
        var first = await ReplicateAsync(doc, typeA);

        using (var ddoc = await Client.GetJsonAsync($"{sourceDb}/_design/app"))
            await Client.PutDocAsync(sourceDb, "_design/app", new Dictionary<string, object?>
            {
                ["_rev"] = ddoc.RootElement.GetProperty("_rev").GetString(),
                ["filters"] = new Dictionary<string, object?> { ["bytype"] = FilterFunction.Replace("doc.type", "doc['type']") },
            });
        var second = await ReplicateAsync(doc, typeA);

        Assert.NotEqual(first.ReplicationId, second.ReplicationId);
        Assert.Equal("0", second.History[0].StartLastSeq);
    }

    [ServerFact]
    public async Task A_missing_filter_is_FilterNotFound_before_anything_is_written()
    {
        var sourceDb = await SeedAsync();
        var targetDb = CouchServer.NewDbName("target");
        foreach (var filter in new[] { "nodesign/bytype", "app/nofunction" })
        {
            var error = await Assert.ThrowsAsync<CouchReplicationException>(() => ReplicationRegistry.Session.StartAsync(new CouchReplicationDoc
            {
                Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true, Filter = filter,
            }));
            Assert.Equal(CouchErrorKind.FilterNotFound, error.Kind);
            Assert.Contains(filter, error.Message);
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));
    }

    [ServerFact]
    public async Task Since_seq_starts_there_and_winning_revs_only_leaves_conflicts_behind()
    {
        var sourceDb = await SeedAsync();
        using var changes = await Client.GetJsonAsync($"{sourceDb}/_changes");
        var results = changes.RootElement.GetProperty("results");
        var third = results[2].GetProperty("seq").ToString();
        var later = Enumerable.Range(3, results.GetArrayLength() - 3).Select(i => results[i].GetProperty("id").GetString()!).Order(StringComparer.Ordinal);

        var sinceDb = CouchServer.NewDbName("since");
        await ReplicateAsync(Doc(sourceDb, sinceDb, d => d.SinceSeq = third), later.Contains);
        Assert.Equal(later, (await Client.SnapshotAsync(sinceDb)).Keys);

        var winnersDb = CouchServer.NewDbName("winners");
        await ReplicateAsync(Doc(sourceDb, winnersDb, d => d.WinningRevsOnly = true));
        using var leaves = await Client.GetJsonAsync($"{winnersDb}/a-conflict?open_revs=all");
        Assert.Equal(1, leaves.RootElement.GetArrayLength());
    }
}

public sealed class FilteredReplicationOnPouchDb(PouchDbServer server) : FilteredReplicationTests<PouchDbServer>(server);

public sealed class FilteredReplicationOnCouchDb(CouchDbServer server) : FilteredReplicationTests<CouchDbServer>(server);

public sealed class FilteredReplicationOnExternalServer(ExternalServer server) : FilteredReplicationTests<ExternalServer>(server);
