using CouchReplication.Document;
using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>Continuous replication and the session's task registry, against a real server.</summary>
public abstract class ContinuousReplicationTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    // Each test class has its own registry, so stopping everything here stops nothing of another class.
    private readonly ReplicationRegistry _registry = new();

    private async Task<(string SourceDb, string TargetDb, CouchReplicationDoc Doc)> NewPairAsync(Action<CouchReplicationDoc>? edit = null)
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        return (sourceDb, targetDb, Doc(sourceDb, targetDb, d => { d.Continuous = true; edit?.Invoke(d); }));
    }

    private async Task<CouchReplicationTask> StartAsync(ReplicationSettings settings) => (await _registry.StartAsync(settings)).Task;

    private async Task<CouchReplicationTask> StartAsync(CouchReplicationDoc doc) => (await _registry.StartAsync(doc)).Task;

    private async Task InSyncAsync(string sourceDb, string targetDb)
    {
        await Eventually.HappensAsync(async () =>
            (await Client.StatusAsync(targetDb)) == System.Net.HttpStatusCode.OK
            && (await Client.SnapshotAsync(sourceDb)).SequenceEqual(await Client.SnapshotAsync(targetDb)),
            $"{targetDb} has every revision tree of {sourceDb}");
        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
    }

    private async Task StopAsync(CouchReplicationTask task)
    {
        task.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
        Assert.Equal(CouchReplicationState.Stopped, task.State);
    }

    [ServerFact]
    public async Task Changes_made_while_it_runs_arrive_and_a_stop_writes_the_final_checkpoint()
    {
        var (sourceDb, targetDb, doc) = await NewPairAsync();
        await TestData.SeedEverythingAsync(Client, sourceDb, plainDocs: 5);
        var task = await StartAsync(doc);
        Assert.EndsWith("+continuous+create_target", task.ReplicationId);
        await InSyncAsync(sourceDb, targetDb);
        Assert.Equal(CouchReplicationState.Running, task.State);

        var rev = await Client.PutDocAsync(sourceDb, "later", new Dictionary<string, object?> { ["n"] = 1 });
        await Client.PutDocAsync(sourceDb, "later", new Dictionary<string, object?> { ["_rev"] = rev, ["_deleted"] = true });
        await Client.BulkDocsAsync(sourceDb, [TestData.Revision("later-conflict", [TestData.Rev(1, "x")]), TestData.Revision("later-conflict", [TestData.Rev(1, "y")])], newEdits: false);
        await InSyncAsync(sourceDb, targetDb);

        await StopAsync(task);
        var final = task.ToActiveTask();
        Assert.Equal(final.ThroughSeq, final.CheckpointedSourceSeq);
        using var log = await Client.GetJsonAsync($"{targetDb}/_local/{task.CheckpointId}");
        Assert.Equal(final.CheckpointedSourceSeq, log.RootElement.GetProperty("source_last_seq").ToString());
    }

    [ServerFact]
    public async Task It_checkpoints_every_checkpoint_interval_while_running()
    {
        var (sourceDb, targetDb, doc) = await NewPairAsync(d => d.CheckpointInterval = 200);
        var task = await StartAsync(doc);
        await Client.PutDocAsync(sourceDb, "one", new Dictionary<string, object?>());

        await Eventually.HappensAsync(async () => await Client.StatusAsync($"{targetDb}/_local/{task.CheckpointId}") == System.Net.HttpStatusCode.OK,
            "a checkpoint while running");
        Assert.Equal(CouchReplicationState.Running, task.State);
        await StopAsync(task);
    }

    [ServerFact]
    public async Task A_stopped_replication_started_again_sends_only_what_came_since()
    {
        var (sourceDb, targetDb, doc) = await NewPairAsync();
        await Client.BulkDocsAsync(sourceDb, Enumerable.Range(0, 50).Select(i => new Dictionary<string, object?> { ["_id"] = $"a-{i:D3}" }), newEdits: true);
        var first = await StartAsync(doc);
        await InSyncAsync(sourceDb, targetDb);
        await StopAsync(first);

        await Client.BulkDocsAsync(sourceDb, Enumerable.Range(0, 20).Select(i => new Dictionary<string, object?> { ["_id"] = $"b-{i:D3}" }), newEdits: true);
        var second = await StartAsync(doc);
        await InSyncAsync(sourceDb, targetDb);
        // Counters are totals since the replication began (CouchDB 3): the first task's 50 carried over from its checkpoint, plus the 20 new ones.
        await Eventually.HappensAsync(() => Task.FromResult(second.ToActiveTask().DocsWritten == 70), "the 20 new documents counted on top of the 50");

        Assert.NotSame(first, second);
        Assert.Equal(70, second.ToActiveTask().RevisionsChecked);
        await StopAsync(second);
    }

    [ServerFact]
    public async Task A_running_replication_is_not_started_twice_and_its_document_names_it()
    {
        var (_, _, doc) = await NewPairAsync();
        var (task, already) = await _registry.StartAsync(doc);
        var (again, alreadyAgain) = await _registry.StartAsync(doc);

        Assert.False(already);
        Assert.True(alreadyAgain);
        Assert.Same(task, again);
        Assert.Equal(task.ReplicationId, await _registry.TaskIdOfAsync(doc));
        Assert.Same(task, Assert.Single(_registry.Tasks(includeFinished: false), t => t.CheckpointId == task.CheckpointId));

        await StopAsync(task);
        Assert.DoesNotContain(task, _registry.Tasks(includeFinished: false));
        Assert.Contains(task, _registry.Tasks(includeFinished: true));
    }

    [ServerFact]
    public async Task A_deleted_source_fails_the_replication_with_the_error()
    {
        var (sourceDb, targetDb, doc) = await NewPairAsync(d => d.RetriesPerRequest = 1);
        var task = await StartAsync(doc);
        await Client.PutDocAsync(sourceDb, "one", new Dictionary<string, object?>());
        await Eventually.HappensAsync(() => Task.FromResult(task.ToActiveTask().DocsWritten == 1), "the first document");

        await Client.DeleteDbAsync(sourceDb);

        await Assert.ThrowsAsync<CouchReplicationException>(() => task.GetResultAsync().WaitAsync(Limit));
        Assert.Equal(CouchReplicationState.Failed, task.State);
        Assert.NotNull(task.ToActiveTask().Error);
        Assert.False(task.Error!.IsTransient);
    }

    [ServerFact]
    public async Task Fifty_continuous_replications_run_side_by_side_and_all_stop()
    {
        var sourceDb = await NewDbAsync("source");
        var targets = Enumerable.Range(0, 50).Select(i => CouchServer.NewDbName($"target{i}")).ToList();
        var tasks = new List<CouchReplicationTask>();
        foreach (var target in targets)
            tasks.Add(await StartAsync(Doc(sourceDb, target, d => { d.Continuous = true; d.WorkerProcesses = 1; d.HttpConnections = 2; })));

        await Client.PutDocAsync(sourceDb, "everywhere", new Dictionary<string, object?>());
        await Eventually.HappensAsync(() => Task.FromResult(tasks.All(t => t.ToActiveTask().DocsWritten == 1)), "the document in all 50 targets");

        _registry.StopAll(TimeSpan.FromSeconds(30));
        Assert.All(tasks, t => Assert.Equal(CouchReplicationState.Stopped, t.State));
    }

    [ServerFact(CouchDbOnly = "a restart that keeps the data (the fixture's pouchdb-server runs in memory)")]
    public async Task It_crashes_while_the_server_is_down_and_resumes_when_it_is_back()
    {
        var (sourceDb, targetDb, doc) = await NewPairAsync(d => d.RetriesPerRequest = 1);
        var task = await StartAsync(ReplicationSettings.From(doc) with { RestartDelay = TimeSpan.FromMilliseconds(200) });
        await Client.PutDocAsync(sourceDb, "before", new Dictionary<string, object?>());
        await InSyncAsync(sourceDb, targetDb);

        var crashed = false;
        await Server.RestartAsync(TimeSpan.FromSeconds(3), async () =>
            await Eventually.HappensAsync(() => Task.FromResult(crashed = task.State == CouchReplicationState.Crashing), "the task crashing while the server is down"));
        Assert.True(crashed);

        await Client.PutDocAsync(sourceDb, "after", new Dictionary<string, object?>());
        await InSyncAsync(sourceDb, targetDb);
        await Eventually.HappensAsync(() => Task.FromResult(task.State == CouchReplicationState.Running), "running again");
        await StopAsync(task);
    }
}

public sealed class ContinuousReplicationOnPouchDb(PouchDbServer server) : ContinuousReplicationTests<PouchDbServer>(server);

public sealed class ContinuousReplicationOnCouchDb(CouchDbServer server) : ContinuousReplicationTests<CouchDbServer>(server);

public sealed class ContinuousReplicationOnExternalServer(ExternalServer server) : ContinuousReplicationTests<ExternalServer>(server);
