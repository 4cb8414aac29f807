namespace CouchReplication.Bench;

/// <summary>What idle continuous replications cost this process over a window.</summary>
internal sealed record IdleResult(int Replications, int StillRunning, ResourceUsage Usage)
{
    /// <summary>CPU milliseconds per second of wall time, all replications together.</summary>
    public double CpuMsPerSecond => Usage.ProcessCpu.TotalMilliseconds / Usage.Elapsed.TotalSeconds;
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
        (await client.PostAsync($"{sourceDb}/_bulk_docs", writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("docs");
            for (var i = 0; i < SeedDocs; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("_id", $"idle-{i}");
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        })).Dispose();

        var registry = new ReplicationRegistry();
        try
        {
            var tasks = new List<CouchReplicationTask>();
            for (var i = 0; i < options.IdleReplications; i++)
            {
                var targetDb = $"{dbPrefix}idle-target-{i:D4}";
                (await client.PutAsync(targetDb)).Dispose();
                var doc = new CouchReplicationDoc { Source = client.DbUrl(sourceDb), Target = client.DbUrl(targetDb), Continuous = true };
                tasks.Add((await registry.StartAsync(doc, ct)).Task);
            }

            // Idle means caught up: every replication has copied the seed and follows the feed.
            var deadline = DateTime.UtcNow + StartLimit;
            while (!tasks.All(t => t.State == CouchReplicationState.Running && t.ToActiveTask().DocsWritten >= SeedDocs))
            {
                if (DateTime.UtcNow > deadline || tasks.Any(t => t.IsFinished))
                    throw new InvalidOperationException($"The idle replications did not all catch up: {string.Join("; ", tasks.Where(t => t.State != CouchReplicationState.Running).Take(3))}");
                await Task.Delay(200, ct);
            }
            await Task.Delay(Settle, ct);

            // Sampling costs CPU too: once a second is enough for an idle process.
            await using var monitor = ResourceMonitor.Start(TimeSpan.FromSeconds(1));
            await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), ct);
            var usage = await monitor.StopAsync();
            return new IdleResult(tasks.Count, tasks.Count(t => t.State == CouchReplicationState.Running), usage);
        }
        finally
        {
            registry.StopAll(TimeSpan.FromSeconds(30));
        }
    }
}
