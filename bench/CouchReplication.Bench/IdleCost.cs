namespace CouchReplication.Bench;

/// <summary>What idle continuous replications cost this process over a window, and what the process costs without them.</summary>
internal sealed record IdleResult(int Replications, int StillRunning, ResourceUsage Usage, ResourceUsage Baseline)
{
    /// <summary>CPU milliseconds per second of wall time, all replications together.</summary>
    public double CpuMsPerSecond => CpuMs(Usage);

    /// <summary>The same for the process before any replication started.</summary>
    public double BaselineCpuMsPerSecond => CpuMs(Baseline);

    /// <summary>What one replication adds, in CPU microseconds per second.</summary>
    public double MicrosecondsPerReplication => (CpuMsPerSecond - BaselineCpuMsPerSecond) * 1000 / Replications;

    private static double CpuMs(ResourceUsage usage) => usage.ProcessCpu.TotalMilliseconds / usage.Elapsed.TotalSeconds;
}

/// <summary>
/// The CPU cost of many idle continuous replications: each follows the same quiet source with its
/// own changes feed (heartbeats), periodic checkpointer and connection pools, as a session would
/// hold them; nothing is written during the window.
/// </summary>
internal static class IdleCost
{
    private const int SeedDocs = 10;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(5);

    public static async Task<IdleResult> MeasureAsync(CouchClient client, string dbPrefix, BenchOptions options, CancellationToken ct)
    {
        var sourceDb = dbPrefix + "idle-source";
        (await client.PutAsync(sourceDb)).Dispose();
        (await client.PostArrayAsync($"{sourceDb}/_bulk_docs", "docs", Enumerable.Range(0, SeedDocs), (writer, i) =>
        {
            writer.WriteStartObject();
            writer.WriteString("_id", $"idle-{i}");
            writer.WriteEndObject();
        })).Dispose();

        // The process costs something with nothing running (runtime timers, the benchmark itself),
        // measured once the previous phase's after-effects (JIT tier-up, collections) have settled.
        await Task.Delay(Settle, ct);
        var baseline = await MeasureWindowAsync(TimeSpan.FromSeconds(Math.Max(5, options.IdleSeconds / 3)), ct);

        var registry = new ReplicationRegistry();
        try
        {
            var tasks = new List<CouchReplicationTask>();
            for (var i = 0; i < options.IdleReplications; i++)
            {
                var targetDb = $"{dbPrefix}idle-target-{i:D4}";
                (await client.PutAsync(targetDb)).Dispose();
                var doc = new CouchReplicationDoc { Source = client.DbUrl(sourceDb), Target = client.DbUrl(targetDb), Continuous = true };
                tasks.Add((await registry.StartAsync(doc, ct: ct)).Task);
            }

            // Idle means caught up and checkpointed (the first periodic checkpoint comes up to
            // checkpoint_interval after the start): every replication has copied the seed, recorded
            // it on both sides, and only follows the feed.
            var deadline = DateTime.UtcNow + StartLimit;
            while (!tasks.All(IsIdle))
            {
                if (DateTime.UtcNow > deadline || tasks.Any(t => t.IsFinished))
                    throw new InvalidOperationException($"The idle replications did not all catch up: {string.Join("; ", tasks.Where(t => t.State != CouchReplicationState.Running).Take(3))}");
                await Task.Delay(200, ct);
            }
            await Task.Delay(Settle, ct);

            var usage = await MeasureWindowAsync(TimeSpan.FromSeconds(options.IdleSeconds), ct);
            return new IdleResult(tasks.Count, tasks.Count(t => t.State == CouchReplicationState.Running), usage, baseline);
        }
        finally
        {
            registry.StopAll(TimeSpan.FromSeconds(30));
        }
    }

    private static bool IsIdle(CouchReplicationTask task)
    {
        var state = task.ToActiveTask();
        return state.State == CouchReplicationState.Running && state.DocsWritten >= SeedDocs
            && state.ThroughSeq == state.SourceSeq && state.CheckpointedSourceSeq == state.ThroughSeq;
    }

    private static async Task<ResourceUsage> MeasureWindowAsync(TimeSpan window, CancellationToken ct)
    {
        await using var monitor = ResourceMonitor.Start(interval: null);
        await Task.Delay(window, ct);
        return await monitor.StopAsync();
    }
}
