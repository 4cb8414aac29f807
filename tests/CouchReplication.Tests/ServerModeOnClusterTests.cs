using System.Diagnostics;
using Xunit.Abstractions;
using CouchReplication.ServerMode;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// -Server mode on a CouchDB cluster of three nodes: persistent replications started through one
/// node are listed completely through every node at every poll, while a node is down and after it
/// rejoins, catch up once another node has taken them over, and are stopped through another node.
/// What a runbook reads during a failover must never leave a replication out.
/// </summary>
public sealed class ServerModeOnClusterTests(CouchDbCluster cluster, ITestOutputHelper output) : IClassFixture<CouchDbCluster>
{
    private const int Replications = 20;

    /// <summary>How long the cluster may take to give every replication a running job again; generous for a loaded machine.</summary>
    private static readonly TimeSpan Settling = TimeSpan.FromMinutes(3);

    [ServerFact]
    public async Task Persistent_replications_stay_listed_through_a_node_failover_and_catch_up()
    {
        var clock = Stopwatch.StartNew();
        var sourceDb = CouchServer.NewDbName("source");
        await cluster.Client.CreateDbAsync(sourceDb);
        await WriteAsync(sourceDb, 0, 10);
        var ids = Enumerable.Range(0, Replications).Select(i => $"cluster-{i:D2}-{Guid.NewGuid():N}"[..20]).ToList();
        var targets = ids.Select(_ => CouchServer.NewDbName("target")).ToList();
        var nodes = Enumerable.Range(0, cluster.Nodes.Count).ToList();

        using (var first = Connect(0))
        {
            for (var i = 0; i < Replications; i++)
            {
                var started = await first.PersistAsync(new CouchReplicationDoc
                {
                    Id = ids[i], Source = Url(0, sourceDb), Target = Url(0, targets[i]), CreateTarget = true, Continuous = true,
                });
                Assert.Equal(ids[i], started.DocId);
            }
        }
        var running = await CompleteAtEveryPollAsync(nodes, ids, _ => true, "every replication running through every node");
        await CaughtUpAsync(targets, 10);
        output.WriteLine($"{clock.Elapsed:mm\\:ss} running on {string.Join(", ", running.GroupBy(t => t.Node).Select(g => $"{g.Key}: {g.Count()}"))}");

        // The node that runs most replications goes, but not the first: the documents name it as their endpoints' server.
        var victim = nodes.Skip(1).MaxBy(n => running.Count(t => t.Node == cluster.Nodes[n].Name));
        var victimName = cluster.Nodes[victim].Name;
        var survivors = nodes.Where(n => n != victim).ToList();
        await cluster.StopNodeAsync(victim);
        output.WriteLine($"{clock.Elapsed:mm\\:ss} stopped {victimName}, which ran {running.Count(t => t.Node == victimName)}");
        await CompleteAtEveryPollAsync(survivors, ids, t => t.Node != victimName, $"every replication running on a node other than {victimName}");
        await WriteAsync(sourceDb, 10, 10);
        await CaughtUpAsync(targets, 20);
        output.WriteLine($"{clock.Elapsed:mm\\:ss} failed over and caught up");

        await cluster.StartNodeAsync(victim);
        await CompleteAtEveryPollAsync(nodes, ids, _ => true, $"every replication running once {victimName} is back");
        await WriteAsync(sourceDb, 20, 5);
        await CaughtUpAsync(targets, 25);
        output.WriteLine($"{clock.Elapsed:mm\\:ss} {victimName} back and caught up");

        using (var other = Connect(survivors.Last()))
        {
            foreach (var task in (await other.ActiveTasksAsync(includeInactive: false)).Where(t => ids.Contains(t.DocId!)))
                Assert.Equal(CouchReplicationState.Stopped, (await other.StopAsync(task)).State);
        }
        foreach (var id in ids) Assert.Equal(System.Net.HttpStatusCode.NotFound, await cluster.Client.StatusAsync($"_replicator/{id}"));
        foreach (var node in nodes)
        {
            using var replicator = Connect(node);
            await Eventually.HappensAsync(async () => !(await replicator.ActiveTasksAsync(includeInactive: true)).Any(t => ids.Contains(t.DocId!)),
                $"no replication left on {cluster.Nodes[node].Name}", Settling);
        }
        output.WriteLine($"{clock.Elapsed:mm\\:ss} all stopped");
    }

    private ServerReplicator Connect(int node) => ServerReplicator.Connect(cluster.Nodes[node].Url.AbsoluteUri);

    private string Url(int node, string db) => new Uri(cluster.Nodes[node].Url, db).AbsoluteUri;

    private Task WriteAsync(string db, int from, int count) => cluster.Client.BulkDocsAsync(db,
        Enumerable.Range(from, count).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D3}", ["n"] = i }), newEdits: true);

    private async Task CaughtUpAsync(IEnumerable<string> targets, int docs)
    {
        foreach (var target in targets)
            await Eventually.HappensAsync(async () => await cluster.Client.StatusAsync(target) == System.Net.HttpStatusCode.OK
                && (await cluster.Client.AllIdsAsync(target)).Count == docs, $"{docs} documents in {target}", Settling);
    }

    /// <summary>
    /// Lists the replications through each of <paramref name="nodes"/> in turn, the default listing
    /// and -All alike, until every one of <paramref name="ids"/> is running and <paramref name="settled"/>;
    /// every listing must show each of them, once. Returns the last default listing.
    /// </summary>
    private async Task<List<CouchActiveTask>> CompleteAtEveryPollAsync(IReadOnlyList<int> nodes, IReadOnlyList<string> ids,
        Func<CouchActiveTask, bool> settled, string what)
    {
        var replicators = nodes.Select(Connect).ToList();
        try
        {
            var deadline = DateTime.UtcNow + Settling;
            var polls = 0;
            var onSeveralNodes = 0;
            while (true)
            {
                var done = true;
                List<CouchActiveTask> listed = [];
                foreach (var (replicator, node) in replicators.Zip(nodes))
                {
                    foreach (var includeInactive in new[] { false, true })
                    {
                        listed = (await replicator.ActiveTasksAsync(includeInactive)).Where(t => ids.Contains(t.DocId!)).ToList();
                        polls++;
                        Assert.True(ids.Order().SequenceEqual(listed.Select(t => t.DocId!).Order()),
                            $"poll {polls} through {cluster.Nodes[node].Name} (-All: {includeInactive}) listed {listed.Count} of {ids.Count} once each: "
                            + string.Join(", ", listed.Select(t => $"{t.DocId} {t.State} {t.Node}")));
                        done &= listed.All(t => t.State == CouchReplicationState.Running && t.Node is not null && settled(t));
                        onSeveralNodes = Math.Max(onSeveralNodes, listed.Count(t => t.Nodes.Count > 1));
                    }
                }
                if (done)
                {
                    output.WriteLine($"{what}: {polls} complete listings; at most {onSeveralNodes} listed with jobs on several nodes");
                    return listed;
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Never happened within {Settling}: {what}");
                await Task.Delay(200);
            }
        }
        finally
        {
            foreach (var replicator in replicators) replicator.Dispose();
        }
    }
}
