using System.Net;
using CouchReplication.Document;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Nothing lost under faults: a fault proxy between the engine and the server resets, fails,
/// stalls, cuts short and trickles requests, and the revision trees must still end identical.
/// </summary>
public abstract class FaultTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const int Documents = 20_000;

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    /// <summary>One document in a hundred gets a second leaf (a conflict), one in forty is deleted.</summary>
    private static int ConflictsIn(int documents) => documents / 100;

    /// <summary>A new source database and the name of a target that does not exist yet.</summary>
    private async Task<(string SourceDb, string TargetDb)> SeedAsync(int documents = Documents)
    {
        var db = await NewDbAsync("source");
        for (var from = 0; from < documents; from += 2000)
            await Client.BulkDocsAsync(db, Enumerable.Range(from, Math.Min(2000, documents - from))
                .Select(i => (object)TestData.Revision($"doc-{i:D5}", [TestData.Rev(1, $"doc-{i}")])), newEdits: false);
        var conflicts = ConflictsIn(documents);
        await Client.BulkDocsAsync(db, Enumerable.Range(0, conflicts)
            .Select(i => (object)TestData.Revision($"doc-{i:D5}", [TestData.Rev(1, $"other-{i}")])), newEdits: false);
        await Client.BulkDocsAsync(db, Enumerable.Range(conflicts, documents / 40)
            .Select(i => (object)TestData.Revision($"doc-{i:D5}", [TestData.Rev(2, $"gone-{i}"), TestData.Rev(1, $"doc-{i}")], deleted: true)), newEdits: false);
        return (db, CouchServer.NewDbName("target"));
    }

    /// <summary>
    /// Through the proxy, 2 s per attempt and 10 retries: the retries' backoff (0.25 s doubling)
    /// spans about four minutes, so a request fails only if the proxy or the server gives no answer
    /// for that long. With 8 (a minute and a half) a CI machine's own stall once failed a run that
    /// had met only one injected fault on that request.
    /// </summary>
    private static CouchReplicationDoc Through(FaultProxy proxy, string sourceDb, string targetDb, Action<CouchReplicationDoc>? edit = null) =>
        Doc(proxy, sourceDb, targetDb, d => { d.ConnectionTimeout = 2000; d.RetriesPerRequest = 10; edit?.Invoke(d); });

    /// <summary>Replicates the full dataset with <paramref name="fault"/> hitting about 5% of requests (seeded).</summary>
    private async Task AssertNothingLostAsync(Func<Random, Fault> fault)
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        var random = new Random(42);
        var hits = 0;
        proxy.Faults = _ =>
        {
            lock (random)
            {
                if (random.NextDouble() >= 0.05) return null;
                hits++;
                return fault(random);
            }
        };

        CouchReplicationResult result;
        try
        {
            result = await ReplicateAsync(Through(proxy, sourceDb, targetDb));
        }
        catch (CouchReplicationException e)
        {
            // Every request is retried ten times, so a failure means the proxy or the server stopped
            // answering for minutes: show what reached the proxy and how it was answered.
            throw new Xunit.Sdk.XunitException($"{e.Message}\nThe proxy's last two minutes:\n{proxy.Timeline(TimeSpan.FromMinutes(2))}", e);
        }

        Assert.True(hits > 0, "the fault never struck");
        Assert.Equal(Documents + ConflictsIn(Documents), result.DocsWritten);
        Assert.Equal(result.DocsWritten, result.History[0].MissingFound);
        Assert.Equal(result.DocsWritten, result.DocsRead);
        Assert.Equal(0, result.DocWriteFailures);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
    }

    [ServerFact]
    public Task Connections_reset_before_an_answer() => AssertNothingLostAsync(_ => new Fault.Reset());

    [ServerFact]
    public Task Answers_cut_short() => AssertNothingLostAsync(_ => new Fault.CutShort());

    [ServerFact]
    public Task Server_errors_and_rate_limits() => AssertNothingLostAsync(r => r.Next(3) switch
    {
        0 => new Fault.Status(500),
        1 => new Fault.Status(503),
        _ => new Fault.Status(429, RetryAfterSeconds: 1),
    });

    [ServerFact]
    public Task Requests_stalled_past_connection_timeout() => AssertNothingLostAsync(_ => new Fault.Stall(TimeSpan.FromSeconds(3)));

    [ServerFact]
    public Task Answers_that_trickle() => AssertNothingLostAsync(_ => new Fault.Trickle(512, TimeSpan.FromMilliseconds(2)));

    [ServerFact]
    public Task A_random_mix_of_every_fault() => AssertNothingLostAsync(r => r.Next(6) switch
    {
        0 => new Fault.Reset(),
        1 => new Fault.CutShort(),
        2 => new Fault.Status(503),
        3 => new Fault.Status(429, RetryAfterSeconds: 1),
        4 => new Fault.Stall(TimeSpan.FromSeconds(3)),
        _ => new Fault.Trickle(512, TimeSpan.FromMilliseconds(2)),
    });

    [ServerFact]
    public async Task A_run_that_dies_without_a_final_checkpoint_resumes_from_its_last_one()
    {
        const int documents = 5000;
        var (sourceDb, targetDb) = await SeedAsync(documents);
        await using var proxy = new FaultProxy(Server.Url);
        var doc = Through(proxy, sourceDb, targetDb, d => { d.WorkerBatchSize = 50; d.WorkerProcesses = 1; d.CheckpointInterval = 100; d.RetriesPerRequest = 0; });
        var task = (await new ReplicationRegistry().StartAsync(OneRun(doc))).Task;
        var deadline = DateTime.UtcNow + Limit;
        while (task.ToActiveTask().CheckpointedSourceSeq is null or "0" || task.ToActiveTask().DocsWritten < 1000)
        {
            Assert.True(DateTime.UtcNow < deadline && !task.Completion.IsCompleted, "no checkpoint while running");
            await Task.Delay(5);
        }

        // As if the process were killed: from now on nothing reaches the servers, not even a final checkpoint.
        proxy.Faults = _ => new Fault.Reset();
        await Assert.ThrowsAsync<CouchReplicationException>(() => task.GetResultAsync().WaitAsync(Limit));
        var written = task.ToActiveTask().DocsWritten;
        // The source's log is written first; when both logs are of one session, CouchDB's rule resumes from it.
        using var log = await Client.GetJsonAsync($"{sourceDb}/_local/{task.CheckpointId}");
        var checkpoint = log.RootElement.GetProperty("source_last_seq").ToString();

        proxy.Faults = null;
        var resumed = await ReplicateAsync(doc);

        Assert.Equal(checkpoint, resumed.History[0].StartLastSeq);
        // The batch in flight when everything went dark may have been written without its answer
        // coming back: the second run owes at most what was not confirmed, and at least that less one batch.
        var owed = documents + ConflictsIn(documents) - written;
        Assert.InRange(resumed.DocsWritten, owed - doc.WorkerBatchSize!.Value, owed);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
    }

    [ServerFact]
    public async Task A_checkpoint_never_names_a_sequence_whose_documents_are_not_written()
    {
        const int documents = 3000;
        var (sourceDb, targetDb) = await SeedAsync(documents);
        await using var proxy = new FaultProxy(Server.Url);
        var checkpointed = 0;
        // Once a checkpoint is on the target, every write fails.
        proxy.Faults = r =>
        {
            if (r.Kind == "_local" && r.Method == "PUT" && r.Database == targetDb) Interlocked.Exchange(ref checkpointed, 1);
            return r.Kind == "_bulk_docs" && Volatile.Read(ref checkpointed) == 1 ? new Fault.Status(500) : null;
        };
        var doc = Through(proxy, sourceDb, targetDb, d => { d.WorkerBatchSize = 20; d.WorkerProcesses = 4; d.CheckpointInterval = 50; d.RetriesPerRequest = 0; });

        await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(doc));

        using var log = await Client.GetJsonAsync($"{targetDb}/_local/{ReplicationIdOf(doc)}");
        var checkpoint = log.RootElement.GetProperty("source_last_seq").ToString();
        using var after = await Client.GetJsonAsync($"{sourceDb}/_changes?since={Uri.EscapeDataString(checkpoint)}");
        var pending = after.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToHashSet();
        var source = await Client.SnapshotAsync(sourceDb);
        var target = await Client.SnapshotAsync(targetDb);
        var covered = source.Keys.Where(id => !pending.Contains(id)).ToList();
        Assert.NotEmpty(covered);
        Assert.All(covered, id => Assert.True(target.TryGetValue(id, out var tree) && tree == source[id], $"{id} is before the checkpoint but not on the target"));
    }

    [ServerFact]
    public async Task A_continuous_replication_crashes_through_an_outage_and_recovers()
    {
        var (sourceDb, targetDb) = await SeedAsync(10);
        await using var proxy = new FaultProxy(Server.Url);
        var doc = Through(proxy, sourceDb, targetDb, d => { d.Continuous = true; d.RetriesPerRequest = 1; d.ConnectionTimeout = 3000; });
        var task = (await new ReplicationRegistry().StartAsync(ReplicationSettings.From(doc) with { RestartDelay = TimeSpan.FromMilliseconds(200) })).Task;
        await Eventually.HappensAsync(() => Task.FromResult(task.ToActiveTask().DocsWritten == 10), "the ten documents written", Limit);

        proxy.Faults = _ => new Fault.Status(503);
        await Eventually.HappensAsync(() => Task.FromResult(task.State == CouchReplicationState.Crashing), "the task crashing in the outage", Limit);
        Assert.NotNull(task.ToActiveTask().Error);
        proxy.Faults = null;

        await Client.PutDocAsync(sourceDb, "after-the-outage", new Dictionary<string, object?>());
        await Eventually.HappensAsync(() => Task.FromResult(task.State == CouchReplicationState.Running && task.ToActiveTask().DocsWritten >= 1),
            "the task running again", Limit);
        await Eventually.HappensAsync(async () => await Client.StatusAsync($"{targetDb}/after-the-outage") == HttpStatusCode.OK,
            "the document written after the outage in the target", Limit);
        task.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
    }

    [ServerFact]
    public async Task A_continuous_feed_that_answers_only_a_broken_line_makes_the_task_crash_and_back_off_instead_of_reopening_at_once()
    {
        var (sourceDb, targetDb) = await SeedAsync(3);
        await using var proxy = new FaultProxy(Server.Url);
        // A 200 whose first line is not JSON: the feed gave nothing, so it is a failure to back off from, not a drop to reopen.
        proxy.Faults = r => r.Kind == "_changes" ? new Fault.Answer(200, "application/json", "{\"results\": [ not json\n") : null;
        var doc = Through(proxy, sourceDb, targetDb, d => { d.Continuous = true; d.RetriesPerRequest = 1; });
        var task = (await new ReplicationRegistry().StartAsync(ReplicationSettings.From(doc) with { RestartDelay = TimeSpan.FromSeconds(30) })).Task;

        await Eventually.HappensAsync(() => Task.FromResult(task.State == CouchReplicationState.Crashing), "the task crashing", Limit);
        var opened = proxy.Requests.Count(r => r.Kind == "_changes");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(opened, proxy.Requests.Count(r => r.Kind == "_changes"));
        task.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
    }

    private static string ReplicationIdOf(CouchReplicationDoc doc) => Protocol.ReplicationIdentity.Compute(ReplicationSettings.From(doc), null);
}

public sealed class FaultsOnPouchDb(PouchDbServer server) : FaultTests<PouchDbServer>(server);

public sealed class FaultsOnCouchDb(CouchDbServer server) : FaultTests<CouchDbServer>(server);
