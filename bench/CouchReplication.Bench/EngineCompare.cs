using System.Diagnostics;

namespace CouchReplication.Bench;

/// <summary>One comparison of the source with a copy, as Compare-CouchDatabase runs it, and its cost.</summary>
internal sealed record CompareRun(string Name, int Docs, CouchComparisonSummary Summary, ResourceUsage Usage)
{
    public double DocsPerSecond => Docs / Usage.Elapsed.TotalSeconds;
}

/// <summary>The engine's comparison, started through its public API as the cmdlet starts it, with the engine copy's tuning.</summary>
internal static class EngineCompare
{
    public static async Task<CompareRun> RunAsync(CouchClient client, Process? server, string sourceDb, string targetDb, BenchOptions options,
        bool deep, CancellationToken ct)
    {
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        var comparison = CouchComparison.Start(EngineOneShot.Doc(client, sourceDb, targetDb, options), deep);
        CouchComparisonSummary summary;
        try
        {
            summary = await comparison.Completion.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            comparison.Stop();
            throw;
        }
        return new CompareRun(deep ? "compare -Deep" : "compare (revisions)", options.Docs, summary, await monitor.StopAsync());
    }
}
