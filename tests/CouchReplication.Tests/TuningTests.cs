using System.Text.Json;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// The tuning options change what goes over the wire: observed through a recording proxy
/// between the engine and the server.
/// </summary>
public abstract class TuningTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private Task<string> SeedAsync(int docs) => NewDbAsync("source", Enumerable.Range(0, docs).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D4}" }));

    private static CouchReplicationDoc Through(FaultProxy proxy, string sourceDb, Action<CouchReplicationDoc> edit) =>
        Doc(proxy, sourceDb, CouchServer.NewDbName("target"), edit);

    /// <summary>
    /// A replication through a proxy that answers with <paramref name="faults"/>, which must fail
    /// with an error of <paramref name="kind"/>; returns the requests the proxy saw.
    /// </summary>
    private async Task<IReadOnlyList<RecordedRequest>> FailsThroughAsync(string sourceDb, CouchErrorKind kind,
        Func<RecordedRequest, Fault?> faults, Action<CouchReplicationDoc> edit)
    {
        await using var proxy = new FaultProxy(Server.Url);
        proxy.Faults = faults;
        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => ReplicateAsync(Through(proxy, sourceDb, edit)));
        Assert.Equal(kind, error.Kind);
        return [.. proxy.Requests];
    }

    [ServerFact]
    public async Task Worker_batch_size_bounds_every_changes_page_and_revs_diff()
    {
        var sourceDb = await SeedAsync(50);
        await using var proxy = new FaultProxy(Server.Url);

        var result = await ReplicateAsync(Through(proxy, sourceDb, d => d.WorkerBatchSize = 7));

        Assert.Equal(50, result.DocsWritten);
        var changes = proxy.Requests.Where(r => r.Kind == "_changes").ToList();
        Assert.All(changes, r => Assert.Contains("limit=7", r.PathAndQuery));
        Assert.Equal(8, changes.Count); // 7 full pages and the one with the last page's remainder
        var diffs = proxy.Requests.Where(r => r.Kind == "_revs_diff").ToList();
        Assert.All(diffs, r => Assert.InRange(JsonDocument.Parse(r.Body).RootElement.EnumerateObject().Count(), 1, 7));
        var reads = proxy.Requests.Where(r => r.Kind == "_bulk_get").ToList();
        Assert.All(reads, r => Assert.InRange(JsonDocument.Parse(r.Body).RootElement.GetProperty("docs").GetArrayLength(), 1, 7));
        Assert.Equal(50, reads.Sum(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("docs").GetArrayLength()));
    }

    [ServerFact]
    public async Task Revs_diff_is_left_out_while_the_target_lacks_everything_and_asked_again_when_it_has_it()
    {
        var sourceDb = await SeedAsync(200);
        await using var proxy = new FaultProxy(Server.Url);
        var doc = Through(proxy, sourceDb, d => d.WorkerBatchSize = 10);

        var first = await ReplicateAsync(doc);
        var askedFirst = proxy.Requests.Count(r => r.Kind == "_revs_diff");
        Assert.Equal(200, first.DocsWritten);
        Assert.InRange(askedFirst, 3, 10);

        // The same target again, from the start: it has everything, so every batch is asked about and nothing is written.
        doc.UseCheckpoints = false;
        var again = await ReplicateAsync(doc);
        Assert.Equal(0, again.DocsWritten);
        Assert.Equal(20, proxy.Requests.Count(r => r.Kind == "_revs_diff") - askedFirst);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(new Uri(doc.TargetUrl!).Segments[^1].TrimEnd('/')));
    }

    [ServerFact]
    public async Task Http_connections_and_worker_processes_bound_what_is_in_flight()
    {
        var sourceDb = await SeedAsync(300);
        // http_connections is per server, and each end of a replication is a server of its own.
        await using var serial = new FaultProxy(Server.Url);
        var serialDoc = Through(serial, sourceDb, d => { d.WorkerBatchSize = 5; d.WorkerProcesses = 4; d.HttpConnections = 1; });
        await ReplicateAsync(serialDoc);
        Assert.Equal(1, serial.MaxInFlight(sourceDb));
        Assert.Equal(1, serial.MaxInFlight(new Uri(serialDoc.TargetUrl!).Segments[^1].TrimEnd('/')));

        await using var oneWorker = new FaultProxy(Server.Url);
        await ReplicateAsync(Through(oneWorker, sourceDb, d => { d.WorkerBatchSize = 5; d.WorkerProcesses = 1; d.HttpConnections = 8; }));
        Assert.Equal(1, oneWorker.MaxInFlight("_bulk_docs"));

        await using var parallel = new FaultProxy(Server.Url);
        await ReplicateAsync(Through(parallel, sourceDb, d => { d.WorkerBatchSize = 5; d.WorkerProcesses = 4; d.HttpConnections = 8; }));
        Assert.InRange(parallel.MaxInFlight("_bulk_docs"), 1, 4);
        Assert.InRange(parallel.MaxInFlight(), 2, 16);
    }

    [ServerFact]
    public async Task Retries_per_request_retries_a_failing_endpoint_that_many_times()
    {
        var sourceDb = await SeedAsync(3);
        await using var proxy = new FaultProxy(Server.Url);
        var failures = 0;
        proxy.Faults = r => r.Kind == "_bulk_docs" && Interlocked.Increment(ref failures) <= 2 ? new Fault.Status(503) : null;

        var result = await ReplicateAsync(Through(proxy, sourceDb, d => d.RetriesPerRequest = 2));

        Assert.Equal(3, result.DocsWritten);
        Assert.Equal(3, proxy.Requests.Count(r => r.Kind == "_bulk_docs"));

        var always = await FailsThroughAsync(sourceDb, CouchErrorKind.ServerError, r => r.Kind == "_bulk_docs" ? new Fault.Status(500) : null, d => d.RetriesPerRequest = 1);
        Assert.Equal(2, always.Count(r => r.Kind == "_bulk_docs"));
    }

    [ServerFact]
    public async Task Non_retryable_statuses_fail_at_once()
    {
        var sourceDb = await SeedAsync(3);

        var requests = await FailsThroughAsync(sourceDb, CouchErrorKind.Forbidden, r => r.Kind == "_revs_diff" ? new Fault.Status(403) : null, d => d.RetriesPerRequest = 5);

        Assert.Equal(1, requests.Count(r => r.Kind == "_revs_diff"));
    }

    [ServerFact]
    public async Task Connection_timeout_gives_up_on_a_stalled_request_and_retry_after_is_honoured()
    {
        var sourceDb = await SeedAsync(3);
        await FailsThroughAsync(sourceDb, CouchErrorKind.Timeout, r => r.Kind == "_revs_diff" ? new Fault.Stall(TimeSpan.FromSeconds(5)) : null,
            d => { d.ConnectionTimeout = 300; d.RetriesPerRequest = 0; });

        await using var busy = new FaultProxy(Server.Url);
        var answered = 0;
        var times = new List<DateTime>();
        busy.Faults = r =>
        {
            if (r.Kind != "_bulk_docs") return null;
            lock (times) times.Add(DateTime.UtcNow);
            return Interlocked.Increment(ref answered) == 1 ? new Fault.Status(429, RetryAfterSeconds: 1) : null;
        };
        var result = await ReplicateAsync(Through(busy, sourceDb, d => d.RetriesPerRequest = 1));
        Assert.Equal(3, result.DocsWritten);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(900), $"retried after {(times[1] - times[0]).TotalMilliseconds} ms, before Retry-After");
    }
}

public sealed class TuningOnPouchDb(PouchDbServer server) : TuningTests<PouchDbServer>(server);

public sealed class TuningOnCouchDb(CouchDbServer server) : TuningTests<CouchDbServer>(server);
