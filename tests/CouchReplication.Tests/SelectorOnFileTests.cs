using System.Text;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// A Mango selector on a database file source passes exactly the revisions the server passes for
/// the same data: tricky documents are backed up to a file whole, then for selectors covering
/// every operator a replication from the server and one from the file, both with the selector,
/// must leave the same documents with the same revision trees on their targets.
/// </summary>
public abstract class SelectorOnFileTests<TServer>(TServer server) : ServerTests<TServer>(server), IDisposable where TServer : CouchServer
{
    private readonly FileFolder _folder = new();

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    /// <summary>
    /// Selectors covering every operator, implicit forms, paths, collation, _id, deletions and
    /// conflicts, each with what CouchDB passes (a document's id, "(partly)" when only some of its
    /// leaves pass): on CouchDB the server's own answer is compared too, so this list is CouchDB's.
    /// </summary>
    public static readonly (string Selector, string Passes, string? OnPouchDb)[] Selectors =
    [
        ("""{}""", "_design/app, array, attached, boolean, conflict, decomposed, deleted-empty, deleted-keeps, dotted, empty, float, fraction, half-deleted, int, items, missing, negative, nulls, object, odd, string-number", null),
        ("""{"n": 1}""", "conflict (partly), float, int", null),
        ("""{"n": {"$eq": 1}, "s": {"$ne": "apple"}}""", "float", null),
        ("""{"n": {"$ne": 1}}""", "array, boolean, conflict (partly), fraction, negative, nulls, object, odd, string-number", null),
        ("""{"n": {"$gt": 1}}""", "array, conflict (partly), fraction, object, odd, string-number", null),
        ("""{"n": {"$gte": 1}}""", "array, conflict, float, fraction, int, object, odd, string-number", null),
        ("""{"n": {"$lt": "1"}}""", "boolean, conflict, float, fraction, int, negative, nulls, odd", null),
        ("""{"n": {"$lte": null}}""", "nulls", null),
        ("""{"n": {"$gt": true, "$lt": []}}""", "conflict, float, fraction, int, negative, odd, string-number", null),
        ("""{"s": {"$gt": "apple"}}""", "decomposed, float, fraction, negative, odd", null),
        ("""{"s": {"$lt": "b"}}""", "boolean, float, int, nulls, string-number", null),
        ("""{"s": "éclair"}""", "decomposed, odd", null),
        ("""{"n": {"$exists": false}}""", "_design/app, attached, decomposed, deleted-empty, deleted-keeps, dotted, empty, half-deleted, items, missing", null),
        ("""{"n": {"$exists": true}}""", "array, boolean, conflict, float, fraction, int, negative, nulls, object, odd, string-number", null),
        ("""{"n": {"$type": "number"}}""", "conflict, float, fraction, int, negative, odd", null),
        ("""{"n": {"$type": "string"}}""", "string-number", null),
        ("""{"n": {"$in": [1, "1", [1, 2, 3]]}}""", "array, conflict (partly), float, int, string-number", null),
        ("""{"n": {"$nin": [1, 2]}}""", "boolean, fraction, negative, nulls, object, odd, string-number", null),
        ("""{"tags": {"$in": ["x"]}}""", "array, int", null),
        ("""{"tags": {"$size": 2}}""", "array, int", null),
        ("""{"tags": {"$all": ["x"]}}""", "array, int", null),
        // PouchDB keeps numbers as JavaScript does: the 1.0 it was given is 1, an integer.
        ("""{"n": {"$mod": [2, 1]}}""", "conflict (partly), int, odd", "conflict (partly), float, int, odd"),
        ("""{"s": {"$regex": "^[a-z]"}}""", "decomposed, fraction, int", null),
        ("""{"s": {"$regex": "clair$"}}""", "decomposed, odd", null),
        ("""{"s": {"$beginsWith": "a"}}""", "int", null),
        ("""{"$and": [{"n": {"$type": "number"}}, {"n": {"$lt": 3}}]}""", "conflict, float, fraction, int, negative", null),
        ("""{"$or": [{"n": 2.5}, {"type": "b"}]}""", "conflict (partly), fraction, half-deleted (partly)", null),
        ("""{"$or": []}""", "_design/app, array, attached, boolean, conflict, decomposed, deleted-empty, deleted-keeps, dotted, empty, float, fraction, half-deleted, int, items, missing, negative, nulls, object, odd, string-number", null),
        ("""{"$nor": [{"n": 1}, {"s": "Zebra"}]}""", "boolean, fraction, nulls, odd, string-number", null),
        ("""{"n": {"$not": {"$gt": 1}}}""", "boolean, conflict (partly), float, int, negative, nulls", null),
        ("""{"$not": {"s": {"$exists": true}}}""", "_design/app, array, attached, conflict, deleted-empty, deleted-keeps, dotted, empty, half-deleted, items, missing, object", null),
        ("""{"items": {"$elemMatch": {"price": {"$gt": 10}}}}""", "items", null),
        ("""{"items": {"$allMatch": {"price": {"$gt": 1}}}}""", "items", null),
        ("""{"n": {"$allMatch": {"$gt": 0}}}""", "array", null),
        ("""{"meta": {"$keyMapMatch": {"$eq": "k2"}}}""", "object", null),
        ("""{"nested.deep.v": 1}""", "int", null),
        ("""{"nested": {"deep": {"v": {"$gte": 1}}}}""", "int", null),
        ("""{"a.b": 2}""", "dotted", null),
        ("""{"a\\.b": 1}""", "dotted", null),
        ("""{"n.1": 2}""", "array", null),
        ("""{"type": "a"}""", "_design/app, conflict (partly), deleted-keeps, half-deleted (partly)", null),
        ("""{"type": {"$exists": true}}""", "_design/app, conflict, deleted-keeps, half-deleted", null),
        ("""{"_deleted": true}""", "deleted-empty, deleted-keeps, half-deleted (partly)", null),
        ("""{"_id": {"$gt": "_"}}""", "_design/app, array, attached, boolean, conflict, decomposed, deleted-empty, deleted-keeps, dotted, empty, float, fraction, half-deleted, int, items, missing, negative, nulls, object, odd, string-number", null),
        ("""{"_id": {"$lt": "a"}}""", "_design/app", null),
        // Erlang's order, bytes: "_" (0x5F) is above "B"; by the view collation it would sort first.
        ("""{"_id": {"$lt": "B"}}""", "", null),
        ("""{"_rev": {"$gt": "2-8"}}""", "_design/app, array, attached, boolean, decomposed, deleted-keeps, dotted, empty, int, missing, nulls, object, odd, string-number", null),
        ("""{"language": "javascript"}""", "_design/app", null),
        // Unicode collation puts "apple" before "Apple".
        ("""{"s": {"$gt": "Apple", "$lt": "banana"}}""", "", null),
        ("""{"s": {"$regex": "(?i)^APPLE$"}}""", "float, int", null),
        // $regex sees UTF-8 bytes: "é" is two of them, its decomposed form three.
        ("""{"s": {"$regex": "^..clair$"}}""", "odd", null),
        ("""{"n": {"$all": [1]}}""", "array", null),
        ("""{"n": {"$size": 3}}""", "array", null),
        ("""{"nested": {"$eq": {"deep": {"v": 1}}}}""", "int", null),
        ("""{"n": {"$lt": {}, "$gt": "z"}}""", "array", null),
        // Normalisation stops at $elemMatch, and the matcher knows no $nor: CouchDB counts the error as no match.
        ("""{"tags": {"$elemMatch": {"$nor": [{"$eq": "x"}]}}}""", "", null),
        // $text needs a text index; _changes passes every document.
        ("""{"$text": "anything"}""", "_design/app, array, attached, boolean, conflict, decomposed, deleted-empty, deleted-keeps, dotted, empty, float, fraction, half-deleted, int, items, missing, negative, nulls, object, odd, string-number", null),
        // Attachments are matched as the stubs CouchDB gives: content_type, revpos, digest, length, stub.
        ("""{"_attachments.note\\.txt.length": 5}""", "attached", null),
        ("""{"_attachments": {"$keyMapMatch": {"$regex": "txt$"}}}""", "attached", null),
    ];

    /// <summary>Numbers, strings, nulls, missing fields, arrays, objects, dotted names, an attachment, a conflict whose leaves differ, tombstones with and without a body, a design document.</summary>
    private async Task<string> SeedAsync()
    {
        var db = await NewDbAsync("source");
        string[] docs =
        [
            Revision("int", """ "n": 1, "s": "apple", "tags": ["x", "y"], "nested": {"deep": {"v": 1}} """),
            Revision("float", """ "n": 1.0, "s": "Apple" """),
            Revision("fraction", """ "n": 2.5, "s": "banana", "tags": ["y"] """),
            Revision("odd", """ "n": 7, "s": "éclair" """),
            Revision("decomposed", """ "s": "e\u0301clair" """),
            Revision("negative", """ "n": -3, "s": "Zebra" """),
            Revision("string-number", """ "n": "1", "s": "1" """),
            Revision("nulls", """ "n": null, "s": null """),
            Revision("boolean", """ "n": true, "s": false """),
            Revision("missing", """ "other": 1 """),
            Revision("array", """ "n": [1, 2, 3], "tags": ["x", "x"] """),
            Revision("object", """ "n": {"a": 1}, "meta": {"k1": 1, "k2": "v"} """),
            Revision("dotted", """ "a.b": 1, "a": {"b": 2} """),
            Revision("empty", """ "tags": [], "items": [] """),
            Revision("items", """ "items": [{"price": 5, "name": "x"}, {"price": 15, "name": "y"}] """),
            Revision("conflict", """ "type": "a", "n": 1 """, seed: "left"),
            Revision("conflict", """ "type": "b", "n": 2 """, seed: "right"),
            Revision("half-deleted", """ "type": "b" """, seed: "live"),
            Revision("half-deleted", """ "type": "a" """, seed: "gone", deleted: true),
            Revision("deleted-keeps", """ "type": "a" """, deleted: true),
            Revision("deleted-empty", "", deleted: true),
            Revision("_design/app", """ "language": "javascript", "type": "a", "views": {} """),
            // With revpos, as a replicator writes it: without one CouchDB stores revpos 0.
            Revision("attached", """ "_attachments": {"note.txt": {"content_type": "text/plain", "data": "aGVsbG8=", "revpos": 2}} """),
        ];
        (await Client.PostJsonAsync($"{db}/_bulk_docs", $$"""{"new_edits": false, "docs": [{{string.Join(",", docs)}}]}""")).Dispose();
        return db;
    }

    /// <summary>A revision at generation 2 (its parent has no body), for <c>new_edits: false</c>, with <paramref name="fields"/> as JSON members.</summary>
    private static string Revision(string id, string fields, string? seed = null, bool deleted = false)
    {
        var rev = TestData.Rev(2, id + seed);
        var parent = TestData.Rev(1, "parent of " + id);
        var members = new StringBuilder($$"""{"_id": "{{id}}", "_rev": "{{rev}}", "_revisions": {"start": 2, "ids": ["{{rev[2..]}}", "{{parent[2..]}}"]}""");
        if (deleted) members.Append(""", "_deleted": true""");
        if (fields.Trim().Length > 0) members.Append(", ").Append(fields);
        return members.Append('}').ToString();
    }

    [ServerFact]
    public async Task A_file_source_passes_the_revisions_CouchDB_passes_for_every_operator()
    {
        var sourceDb = await SeedAsync();
        var file = _folder.File("backup.couchdb");
        var backup = await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file, CreateTarget = true });
        Assert.True(backup.Ok);
        Assert.Empty(backup.Failures);
        var source = await Client.SnapshotAsync(sourceDb);

        var differences = new List<string>();
        foreach (var (selector, onCouchDb, onPouchDb) in Selectors)
        {
            var fromFile = await ReplicateWithAsync(file, selector, sourceDb, source);
            var passes = Server.IsCouchDb ? onCouchDb : onPouchDb ?? onCouchDb;
            if (Describe(fromFile, source) != passes) differences.Add($"{selector}: the file passes {Describe(fromFile, source)}, CouchDB {passes}");
            // pouchdb-server filters with PouchDB's own matcher, which is not CouchDB's (no $beginsWith or
            // $keyMapMatch, an empty $or passes nothing, tombstones never pass): the list above is the reference there.
            if (!Server.IsCouchDb) continue;
            var fromServer = await ReplicateWithAsync(Url(sourceDb), selector, sourceDb, source);
            if (!fromServer.SequenceEqual(fromFile))
                differences.Add($"{selector}: the server passes {Describe(fromServer, source)}, the file {Describe(fromFile, source)}");
        }

        Assert.True(differences.Count == 0, $"{differences.Count} selectors differ:\n{string.Join("\n", differences)}");
    }

    /// <summary>With winning_revs_only the selector is matched against each document's winner alone, which passes or not with it.</summary>
    [ServerFact]
    public async Task With_winning_revs_only_the_winner_alone_is_matched()
    {
        var sourceDb = await SeedAsync();
        var file = _folder.File("winners.couchdb");
        Assert.True((await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file, CreateTarget = true })).Ok);
        var source = await Client.SnapshotAsync(sourceDb);

        using var conflict = await Client.GetJsonAsync($"{sourceDb}/conflict");
        var winner = conflict.RootElement.GetProperty("type").GetString();
        foreach (var type in new[] { "a", "b" })
        {
            var selector = $$"""{"type": "{{type}}"}""";
            var fromFile = await ReplicateWithAsync(file, selector, sourceDb, source, winningRevsOnly: true);
            // Of the conflict, only the winner (the greater revision id, both being live) travels, if it matches.
            Assert.Equal(winner == type, fromFile.ContainsKey("conflict"));
            if (Server.IsCouchDb) Assert.Equal(await ReplicateWithAsync(Url(sourceDb), selector, sourceDb, source, winningRevsOnly: true), fromFile);
        }
    }

    /// <summary>A continuous replication from a file filters what is written into the file while it runs.</summary>
    [ServerFact]
    public async Task A_continuous_replication_from_a_file_applies_the_selector_to_new_changes()
    {
        var sourceDb = await NewDbAsync("source", [new Dictionary<string, object?> { ["_id"] = "first", ["type"] = "a" }]);
        var file = _folder.File("continuous.couchdb");
        await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file, CreateTarget = true });
        var targetDb = CouchServer.NewDbName("target");
        var registry = new ReplicationRegistry();
        var doc = new CouchReplicationDoc { Source = file, Target = Url(targetDb), CreateTarget = true, Continuous = true };
        doc.SetField("selector", """{"type": "a"}""");
        var task = (await registry.StartAsync(doc)).Task;

        await Client.BulkDocsAsync(sourceDb,
        [
            new Dictionary<string, object?> { ["_id"] = "later-a", ["type"] = "a" },
            new Dictionary<string, object?> { ["_id"] = "later-b", ["type"] = "b" },
        ], newEdits: true);
        await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file });
        await Eventually.HappensAsync(async () => (await Client.StatusAsync(targetDb)) == System.Net.HttpStatusCode.OK
            && (await Client.AllIdsAsync(targetDb)).SequenceEqual(["first", "later-a"]), "the type-a documents through the file");

        registry.StopAll(TimeSpan.FromSeconds(30));
        Assert.Equal(CouchReplicationState.Stopped, task.State);
        Assert.Equal(["first", "later-a"], await Client.AllIdsAsync(targetDb));
    }

    /// <summary>Replicates with the selector into a new database and returns its documents' trees, after checking that nothing of what passed whole was lost.</summary>
    private async Task<IReadOnlyDictionary<string, string>> ReplicateWithAsync(string from, string selector, string sourceDb, IReadOnlyDictionary<string, string> source,
        bool winningRevsOnly = false)
    {
        var targetDb = CouchServer.NewDbName("target");
        var doc = new CouchReplicationDoc { Source = from, Target = Url(targetDb), CreateTarget = true, WinningRevsOnly = winningRevsOnly };
        doc.SetField("selector", selector);
        var result = await RunAsync(doc);
        Assert.True(result.Ok, $"{selector} from {from}");
        Assert.True(!result.Failures.Any(), $"{selector} from {from}: {string.Join(", ", result.Failures.Select(f => $"{f.Id} {f.Error} {f.Reason}"))}");
        var target = await Client.SnapshotAsync(targetDb);
        // A selector passes revisions, not documents: of a conflict only the matching leaves travel, so the
        // invariant holds for the documents that arrived whole; the comparison of the trees covers the rest.
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures, id => target.TryGetValue(id, out var tree) && tree == source[id], winningRevsOnly);
        return target;
    }

    private static string Describe(IReadOnlyDictionary<string, string> target, IReadOnlyDictionary<string, string> source) =>
        string.Join(", ", target.Select(t => t.Value == source[t.Key] ? t.Key : $"{t.Key} (partly)"));

    public void Dispose()
    {
        _folder.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class SelectorOnFileOnPouchDb(PouchDbServer server) : SelectorOnFileTests<PouchDbServer>(server);

public sealed class SelectorOnFileOnCouchDb(CouchDbServer server) : SelectorOnFileTests<CouchDbServer>(server);
