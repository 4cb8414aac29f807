using System.Diagnostics;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>
/// The migration of a whole server: D databases of K documents copied (a) by the engine, every
/// replication queued at once through the session's scheduler, and (b) by the server's own
/// scheduler from <c>_replicator</c> documents, on the same server in the same run.
/// </summary>
internal static class ManyDatabases
{
    private static readonly TimeSpan SocketSample = TimeSpan.FromMilliseconds(100);

    public sealed record Outcome(string Name, int Databases, long Docs, int Failed, ResourceUsage Usage, int PeakSockets)
    {
        public double DocsPerSecond => Docs / Usage.Elapsed.TotalSeconds;
    }

    /// <summary>Creates the source databases, <paramref name="docs"/> documents each.</summary>
    public static async Task<List<string>> SeedAsync(CouchClient client, string prefix, int databases, int docs, CancellationToken ct)
    {
        var names = Enumerable.Range(0, databases).Select(i => $"{prefix}many-{i:D5}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (db, _) =>
        {
            (await client.PutAsync(db)).Dispose();
            (await client.PostArrayAsync($"{db}/_bulk_docs", "docs", Enumerable.Range(0, docs), (w, i) =>
            {
                w.WriteStartObject();
                w.WriteString("_id", $"doc-{i:D5}");
                w.WriteString("text", new string('x', 200));
                w.WriteEndObject();
            })).Dispose();
        });
        return names;
    }

    /// <summary>Every replication started at once, in one session, as a pipeline of Start-CouchReplication -NoWait does.</summary>
    public static async Task<Outcome> EngineAsync(CouchClient client, Process? server, IReadOnlyList<string> sources, int docs, int? maxJobs, CancellationToken ct)
    {
        var registry = new ReplicationRegistry();
        if (maxJobs is { } limit) registry.MaxJobs = limit;
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        using var sockets = new SocketCounter();
        var tasks = new List<CouchReplicationTask>();
        foreach (var source in sources)
        {
            var doc = new CouchReplicationDoc { Source = client.DbUrl(source), Target = client.DbUrl(source + "-engine"), CreateTarget = true };
            tasks.Add((await registry.StartAsync(doc, ct: ct)).Task);
        }
        var failed = 0;
        foreach (var task in tasks)
        {
            try { await task.GetResultAsync().WaitAsync(ct); }
            catch (CouchReplicationException) { failed++; }
        }
        var usage = await monitor.StopAsync();
        return new Outcome($"engine (scheduler, MaxJobs {registry.MaxJobs})", sources.Count, (long)sources.Count * docs, failed, usage, sockets.Peak);
    }

    /// <summary>The server's scheduler: one <c>_replicator</c> document per database, waited for until each completes or fails.</summary>
    public static async Task<Outcome> ServerAsync(CouchClient client, Process? server, IReadOnlyList<string> sources, int docs, CancellationToken ct)
    {
        try { (await client.PutAsync("_replicator")).Dispose(); }
        catch (HttpRequestException) { /* it exists */ }
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        foreach (var chunk in sources.Chunk(500))
            (await client.PostArrayAsync("_replicator/_bulk_docs", "docs", chunk, (w, source) =>
            {
                w.WriteStartObject();
                w.WriteString("_id", source);
                w.WriteString("source", client.DbUrl(source));
                w.WriteString("target", client.DbUrl(source + "-server"));
                w.WriteBoolean("create_target", true);
                w.WriteEndObject();
            })).Dispose();

        var mine = sources.ToHashSet(StringComparer.Ordinal);
        int completed, failed;
        while (true)
        {
            (completed, failed) = await StatesAsync(client, mine);
            if (completed + failed == mine.Count) break;
            // Each poll costs the server a listing of every document: poll less often the more there are.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(250, mine.Count / 10)), ct);
        }
        var usage = await monitor.StopAsync();
        foreach (var chunk in sources.Chunk(500)) await DeleteDocsAsync(client, chunk);
        return new Outcome("server replicator (_replicator documents)", sources.Count, (long)sources.Count * docs, failed, usage, 0);
    }

    /// <summary>
    /// How many of our documents the server's scheduler reports completed and failed, from one
    /// listing: at 10,000 documents, pages read with <c>skip</c> never added up to all of them
    /// completed, though a single listing showed they were, and the wait did not end.
    /// </summary>
    private static async Task<(int Completed, int Failed)> StatesAsync(CouchClient client, HashSet<string> mine)
    {
        int completed = 0, failed = 0;
        using var listing = await client.GetAsync($"_scheduler/docs/_replicator?limit={mine.Count + 1000}", TimeSpan.FromMinutes(5));
        foreach (var doc in listing.RootElement.GetProperty("docs").EnumerateArray().Where(d => mine.Contains(d.GetProperty("doc_id").GetString()!)))
        {
            var state = doc.GetProperty("state").GetString();
            if (state == "completed") completed++;
            else if (state is "failed" or "error") failed++;
        }
        return (completed, failed);
    }

    private static async Task DeleteDocsAsync(CouchClient client, IEnumerable<string> ids)
    {
        using var all = await client.PostArrayAsync("_replicator/_all_docs", "keys", ids, (w, id) => w.WriteStringValue(id));
        var rows = all.RootElement.GetProperty("rows").EnumerateArray()
            .Where(r => r.TryGetProperty("value", out _))
            .Select(r => (Id: r.GetProperty("id").GetString()!, Rev: r.GetProperty("value").GetProperty("rev").GetString()!)).ToList();
        (await client.PostArrayAsync("_replicator/_bulk_docs", "docs", rows, (w, row) =>
        {
            w.WriteStartObject();
            w.WriteString("_id", row.Id);
            w.WriteString("_rev", row.Rev);
            w.WriteBoolean("_deleted", true);
            w.WriteEndObject();
        })).Dispose();
    }

    /// <summary>The most sockets this process had open at once (Linux: /proc/self/fd), sampled.</summary>
    private sealed class SocketCounter : IDisposable
    {
        private readonly Timer _timer;
        private int _peak;

        public SocketCounter() => _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, SocketSample);

        public int Peak => Volatile.Read(ref _peak);

        private void Sample()
        {
            if (!Directory.Exists("/proc/self/fd")) return;
            var open = 0;
            foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try { if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true) open++; }
                catch (IOException) { /* closed meanwhile */ }
            }
            if (open > _peak) Volatile.Write(ref _peak, open);
        }

        public void Dispose() => _timer.Dispose();
    }
}
