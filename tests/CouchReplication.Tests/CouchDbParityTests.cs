using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>
/// Rules CouchDB 3.5's own replicator defines and the engine must follow: how <c>doc_ids</c> are
/// read, <c>use_bulk_get</c>, counters that are totals since the replication began, and a task's
/// sequences listed from its first moment. On CouchDB the server's replicator runs the same
/// scenario beside the engine and the two must agree.
/// </summary>
public abstract class CouchDbParityTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    protected override TimeSpan Limit => TimeSpan.FromMinutes(3);

    /// <summary>Documents doc-0000 ... with n, in a new source database or added to <paramref name="db"/>.</summary>
    private async Task<string> SeedAsync(int count, int from = 0, string? db = null)
    {
        var docs = Enumerable.Range(from, count).Select(i => (object)new Dictionary<string, object?> { ["_id"] = $"doc-{i:D4}", ["n"] = i });
        if (db is null) return await NewDbAsync("source", docs);
        await Client.BulkDocsAsync(db, docs, newEdits: true);
        return db;
    }

    [ServerFact]
    public async Task Doc_ids_are_percent_decoded_as_CouchDB_reads_them()
    {
        var sourceDb = await SeedAsync(3);
        await Client.PutDocAsync(sourceDb, "_design/foo", new Dictionary<string, object?> { ["language"] = "javascript" });
        await Client.PutDocAsync(sourceDb, "with space", new Dictionary<string, object?>());
        await Client.PutDocAsync(sourceDb, "slash/id", new Dictionary<string, object?>());
        string[] docIds = ["_design%2Ffoo", "with+space", "slash%2Fid", "doc-0001"];
        var targetDb = CouchServer.NewDbName("target");

        var result = await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true, DocIds = docIds });

        string[] expected = ["_design/foo", "doc-0001", "slash/id", "with space"];
        Assert.Equal(expected, await Client.AllIdsAsync(targetDb));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures, expected.Contains);
        if (Server.IsCouchDb)
        {
            var theirsDb = CouchServer.NewDbName("theirs");
            await Client.ReplicateOnServerAsync(new Dictionary<string, object?>
            {
                ["source"] = Url(sourceDb), ["target"] = Url(theirsDb), ["create_target"] = true, ["doc_ids"] = docIds,
            });
            Assert.Equal(await Client.SnapshotAsync(theirsDb), await Client.SnapshotAsync(targetDb));
        }
    }

    [ServerFact]
    public async Task Use_bulk_get_false_reads_every_document_with_open_revs()
    {
        var sourceDb = await SeedAsync(40);
        var targetDb = CouchServer.NewDbName("target");
        var doc = CouchReplicationDoc.FromJson("""{"source": "s", "target": "t", "use_bulk_get": false}""");
        Assert.False(doc.UseBulkGet);
        Assert.Contains("\"use_bulk_get\": false", doc.ToJson());
        await using var proxy = new FaultProxy(Server.Url);
        doc.Source = new Uri(proxy.Url, sourceDb).AbsoluteUri;
        doc.Target = new Uri(proxy.Url, targetDb).AbsoluteUri;
        doc.CreateTarget = true;
        Assert.Empty(ReplicationSettings.From(doc).Warnings);

        var result = await RunAsync(doc);

        Assert.DoesNotContain(proxy.Requests, r => r.Kind == "_bulk_get");
        Assert.Equal(40, proxy.Requests.Count(r => r.Method == "GET" && r.PathAndQuery.Contains("open_revs=")));
        Assert.Equal(40, result.DocsWritten);
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
    }

    [ServerFact]
    public async Task Counters_are_totals_since_the_replication_began()
    {
        var sourceDb = await SeedAsync(10);
        var targetDb = CouchServer.NewDbName("target");
        var doc = new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true };
        var first = await RunAsync(doc);
        await SeedAsync(5, from: 10, db: sourceDb);

        var second = await RunAsync(doc);

        Assert.Equal((10, 5), (first.DocsWritten, second.DocsWritten));
        Assert.Equal((15L, 15L, 15L, 0L), (second.History[0].DocsWritten, second.History[0].DocsRead, second.History[0].MissingFound, second.History[0].DocWriteFailures));
        Assert.Equal(10, second.History[1].DocsWritten);
        foreach (var db in new[] { sourceDb, targetDb })
        {
            using var log = await Client.GetJsonAsync($"{db}/_local/{second.ReplicationId}");
            Assert.Equal(15, log.RootElement.GetProperty("history")[0].GetProperty("docs_written").GetInt64());
        }
        var third = await RunAsync(doc);
        Assert.True(third.NoChanges);
        Assert.Equal((0L, 15L), (third.DocsWritten, third.History[0].DocsWritten));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, second.Failures);

        if (Server.IsCouchDb)
        {
            // The server's replicator over the same two steps writes the same totals into its log.
            var theirsSource = await SeedAsync(10);
            var theirsDb = CouchServer.NewDbName("theirs");
            var theirs = new Dictionary<string, object?> { ["source"] = Url(theirsSource), ["target"] = Url(theirsDb), ["create_target"] = true };
            await Client.ReplicateOnServerAsync(theirs);
            await SeedAsync(5, from: 10, db: theirsSource);
            await Client.ReplicateOnServerAsync(theirs);
            using var changes = await Client.GetJsonAsync($"{theirsDb}/_local_docs?include_docs=true");
            var entry = changes.RootElement.GetProperty("rows")[0].GetProperty("doc").GetProperty("history")[0];
            Assert.Equal((15L, 15L, 15L, 0L), (entry.GetProperty("docs_written").GetInt64(), entry.GetProperty("docs_read").GetInt64(),
                entry.GetProperty("missing_found").GetInt64(), entry.GetProperty("doc_write_failures").GetInt64()));
        }
    }

    [ServerFact]
    public async Task A_task_lists_its_sequences_from_the_first_moment()
    {
        var sourceDb = await SeedAsync(20);
        var targetDb = CouchServer.NewDbName("target");
        var registry = new ReplicationRegistry();
        var first = await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true });

        var task = (await registry.StartAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true, Continuous = true })).Task;
        try
        {
            var listed = task.ToActiveTask();
            Assert.All(new[] { listed.SourceSeq, listed.CheckpointedSourceSeq, listed.ThroughSeq }, Assert.NotNull);

            await Eventually.HappensAsync(() => Task.FromResult(task.State == CouchReplicationState.Running), "the task runs");
            var running = task.ToActiveTask();
            // Resumed from the first run's checkpoint: that is where it starts, and what it has checkpointed.
            Assert.Equal(Seq.FromUserText(first.SourceLastSeq).RawJson, Seq.FromUserText(running.CheckpointedSourceSeq!).RawJson);
            Assert.Equal(20, running.DocsWritten);
        }
        finally
        {
            task.Stop();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
        }
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, first.Failures);
    }
}

public sealed class CouchDbParityOnPouchDb(PouchDbServer server) : CouchDbParityTests<PouchDbServer>(server);

public sealed class CouchDbParityOnCouchDb(CouchDbServer server) : CouchDbParityTests<CouchDbServer>(server);
