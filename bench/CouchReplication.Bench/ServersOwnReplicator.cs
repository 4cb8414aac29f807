using System.Diagnostics;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>The server's own replicator, driven by <c>POST /_replicate</c> on the same server.</summary>
internal static class ServersOwnReplicator
{
    /// <summary>A one-shot <c>_replicate</c> answers when the copy is done.</summary>
    public static async Task<OneShotRun> RunAsync(CouchClient client, Process? server, string sourceDb, string targetDb, BenchOptions options)
    {
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        using var answer = await client.PostAsync("_replicate", writer => WriteRequest(writer, client, sourceDb, targetDb, options, continuous: false), TimeSpan.FromHours(2));
        var usage = await monitor.StopAsync();
        return new OneShotRun("server replicator (_replicate)", options.Docs, DocsWritten(answer.RootElement), usage);
    }

    /// <summary>Starts a continuous replication; returns the id that cancels it.</summary>
    public static async Task<string> StartContinuousAsync(CouchClient client, string sourceDb, string targetDb, BenchOptions options)
    {
        using var answer = await client.PostAsync("_replicate", writer => WriteRequest(writer, client, sourceDb, targetDb, options, continuous: true));
        return answer.RootElement.GetProperty("_local_id").GetString()!;
    }

    public static async Task CancelAsync(CouchClient client, string replicationId)
    {
        using var _ = await client.PostAsync("_replicate", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("replication_id", replicationId);
            writer.WriteBoolean("cancel", true);
            writer.WriteEndObject();
        });
    }

    private static void WriteRequest(Utf8JsonWriter writer, CouchClient client, string sourceDb, string targetDb, BenchOptions options, bool continuous)
    {
        writer.WriteStartObject();
        writer.WriteString("source", client.DbUrl(sourceDb));
        writer.WriteString("target", client.DbUrl(targetDb));
        if (continuous) writer.WriteBoolean("continuous", true);
        if (options.Workers is { } workers) writer.WriteNumber("worker_processes", workers);
        if (options.BatchSize is { } batchSize) writer.WriteNumber("worker_batch_size", batchSize);
        writer.WriteEndObject();
    }

    /// <summary>CouchDB puts the counters in <c>history[0]</c>, PouchDB at the top level.</summary>
    private static long DocsWritten(JsonElement answer) =>
        answer.TryGetProperty("history", out var history) && history.GetArrayLength() > 0
            ? history[0].GetProperty("docs_written").GetInt64()
            : answer.TryGetProperty("docs_written", out var written) ? written.GetInt64() : -1;
}
