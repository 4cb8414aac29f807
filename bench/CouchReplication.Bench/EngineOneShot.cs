using System.Diagnostics;

namespace CouchReplication.Bench;

/// <summary>The engine's one-shot replication, started through its public API as the cmdlets start it.</summary>
internal static class EngineOneShot
{
    public static async Task<OneShotRun> RunAsync(CouchClient client, Process? server, string sourceDb, string targetDb, BenchOptions options, CancellationToken ct)
    {
        var doc = Doc(client, sourceDb, targetDb, options);
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        var (task, _) = await new ReplicationRegistry().StartAsync(doc, ct: ct);
        CouchReplicationResult result;
        try
        {
            result = await task.GetResultAsync().WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            task.Stop();
            throw;
        }
        var usage = await monitor.StopAsync();
        return new OneShotRun("engine (this module)", options.Docs, result.DocsWritten, usage);
    }

    /// <summary>
    /// The replication document of the copy, with the benchmark's tuning; the comparison phase checks
    /// the same. A database given as a full path is a database file (the backup phase), created by
    /// the replication when it is the target.
    /// </summary>
    public static CouchReplicationDoc Doc(CouchClient client, string sourceDb, string targetDb, BenchOptions options) => new()
    {
        Source = IsFile(sourceDb) ? sourceDb : client.DbUrl(sourceDb),
        Target = IsFile(targetDb) ? targetDb : client.DbUrl(targetDb),
        CreateTarget = IsFile(targetDb) ? true : null,
        WorkerProcesses = options.Workers,
        WorkerBatchSize = options.BatchSize,
    };

    /// <summary>Whether a phase's database is a database file: database names are never full paths.</summary>
    public static bool IsFile(string db) => Path.IsPathRooted(db);
}
