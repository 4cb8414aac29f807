using CouchReplication.Document;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// A whole server's databases queued at once, as a migration does: the scheduler runs at most
/// MaxJobs of them at a time (seen from the server's side, through a recording proxy), every one
/// completes with nothing lost, Pending ones can be stopped before they start, and a server
/// answering 500 to some requests makes jobs crash and complete anyway.
/// </summary>
public abstract class ManyReplicationsTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const int MaxJobs = 5;

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    /// <summary>300 databases on CouchDB, 100 on pouchdb-server, which is slower to create them.</summary>
    private int Databases => Server is CouchDbServer ? 300 : 100;

    [ServerFact]
    public async Task A_queue_of_databases_runs_MaxJobs_at_a_time_and_every_one_completes()
    {
        var sources = await SeedAsync(Databases);
        await using var proxy = new FaultProxy(Server.Url);
        var registry = new ReplicationRegistry { MaxJobs = MaxJobs };
        var started = new List<(string Source, string Target, CouchReplicationTask Task)>();
        foreach (var source in sources)
        {
            var target = "many-target-" + source;
            started.Add((source, target, (await registry.StartAsync(Doc(proxy, source, target))).Task));
        }
        Assert.Contains(started, s => s.Task.State == CouchReplicationState.Pending && s.Task.ToActiveTask().QueuePosition > 0);

        foreach (var (source, target, task) in started)
        {
            var result = await task.GetResultAsync().WaitAsync(Limit);
            await NothingLost.AssertAsync(Client, source, target, result.Failures);
        }

        // Each job's requests to its target database, from first to last, lie inside its turn.
        var windows = proxy.Requests.Where(r => r.Database.StartsWith("many-target-", StringComparison.Ordinal))
            .GroupBy(r => r.Database).Select(g => (From: g.Min(r => r.At), To: g.Max(r => r.At))).ToList();
        Assert.Equal(Databases, windows.Count);
        var mostAtOnce = windows.Max(w => windows.Count(o => o.From <= w.From && w.From <= o.To));
        Assert.InRange(mostAtOnce, 2, MaxJobs);
    }

    [ServerFact]
    public async Task A_pending_replication_is_listed_with_its_place_and_stops_before_it_starts()
    {
        var sources = await SeedAsync(3);
        await using var proxy = new FaultProxy(Server.Url);
        // The first job holds the only turn for a while.
        proxy.Faults = r => r.Database == "many-target-" + sources[0] ? new Fault.Stall(TimeSpan.FromMilliseconds(500)) : null;
        var registry = new ReplicationRegistry { MaxJobs = 1 };
        var tasks = new List<CouchReplicationTask>();
        foreach (var source in sources) tasks.Add((await registry.StartAsync(Doc(proxy, source, "many-target-" + source))).Task);

        Assert.Equal([1, 2], tasks.Skip(1).Select(t => t.ToActiveTask().QueuePosition ?? 0));
        Assert.All(tasks.Skip(1), t => Assert.Equal(CouchReplicationState.Pending, t.State));
        tasks[2].Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tasks[2].GetResultAsync().WaitAsync(Limit));
        Assert.Equal(CouchReplicationState.Stopped, tasks[2].State);
        Assert.Equal(1, tasks[1].ToActiveTask().QueuePosition);

        foreach (var task in tasks.Take(2)) await task.GetResultAsync().WaitAsync(Limit);
        Assert.DoesNotContain(proxy.Requests, r => r.Database == "many-target-" + sources[2] || r.Database == sources[2]);
    }

    [ServerFact]
    public async Task Jobs_crash_on_a_server_answering_500_and_complete_after_restarts()
    {
        var sources = await SeedAsync(20);
        await using var proxy = new FaultProxy(Server.Url);
        // The first _revs_diff and the first _bulk_docs of each job fail, as CouchDB's do when it runs out of open shards.
        var failed = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        proxy.Faults = r => r.Kind is "_bulk_docs" or "_revs_diff" && failed.TryAdd(r.Database + r.Kind, 0) ? new Fault.Status(500) : null;
        var registry = new ReplicationRegistry { MaxJobs = MaxJobs };
        var started = new List<(string Source, string Target, CouchReplicationTask Task)>();
        foreach (var source in sources)
        {
            var target = "many-target-" + source;
            var settings = ReplicationSettings.From(Doc(proxy, source, target, d => d.RetriesPerRequest = 0)) with { RestartDelay = TimeSpan.FromMilliseconds(100) };
            started.Add((source, target, (await registry.StartAsync(settings)).Task));
        }

        var crashed = 0;
        foreach (var (source, target, task) in started)
        {
            var result = await task.GetResultAsync().WaitAsync(Limit);
            while (task.TryTakeMessage(out var message)) if (message.Text.Contains("crashed", StringComparison.Ordinal)) crashed++;
            await NothingLost.AssertAsync(Client, source, target, result.Failures);
        }
        Assert.Equal(2 * sources.Count, crashed);
    }

    /// <summary>Small databases: three documents, one of them with a conflict and one deleted.</summary>
    private async Task<List<string>> SeedAsync(int count)
    {
        var names = Enumerable.Range(0, count).Select(_ => CouchServer.NewDbName("many")).ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (db, _) =>
        {
            await Client.CreateDbAsync(db);
            await Client.BulkDocsAsync(db,
            [
                TestData.Revision("a", [TestData.Rev(1, "a")]),
                TestData.Revision("a", [TestData.Rev(1, "a-other")]),
                TestData.Revision("b", [TestData.Rev(2, "b-gone"), TestData.Rev(1, "b")], deleted: true),
                TestData.Revision("c", [TestData.Rev(1, "c")]),
            ], newEdits: false);
        });
        return names;
    }
}

public sealed class ManyReplicationsOnPouchDb(PouchDbServer server) : ManyReplicationsTests<PouchDbServer>(server);

public sealed class ManyReplicationsOnCouchDb(CouchDbServer server) : ManyReplicationsTests<CouchDbServer>(server);
