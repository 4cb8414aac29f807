using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>Latencies of single writes through a continuous replication, in milliseconds.</summary>
internal sealed record LatencyResult(string Name, IReadOnlyList<double> Milliseconds)
{
    public double Percentile(double p)
    {
        var sorted = Milliseconds.Order().ToList();
        return sorted[(int)Math.Ceiling(p / 100 * sorted.Count) - 1];
    }
}

/// <summary>
/// Continuous latency: with a continuous replication running from source to target, one document
/// at a time is written to the source, and the time from sending the write until the target's
/// own changes feed shows the document is taken. (The target's feed reports a document once it is
/// committed, so it is readable then; watching the feed costs the server less than polling.)
/// </summary>
internal static class ContinuousLatency
{
    private static readonly TimeSpan ArrivalLimit = TimeSpan.FromSeconds(60);

    public static async Task<LatencyResult> MeasureAsync(string name, CouchClient client, string sourceDb, string targetDb, int writes, CancellationToken ct)
    {
        var arrivals = new ConcurrentDictionary<string, TaskCompletionSource<long>>();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watcher = WatchAsync(client, targetDb, arrivals, stopWatching.Token);
        try
        {
            // The first write also waits for the replication to be up and its feed open; it is not timed.
            await WriteAndWaitAsync(client, sourceDb, "latency-warmup", arrivals, watcher, ct);
            var latencies = new List<double>();
            for (var i = 0; i < writes; i++)
                latencies.Add(await WriteAndWaitAsync(client, sourceDb, $"latency-{i:D5}", arrivals, watcher, ct));
            return new LatencyResult(name, latencies);
        }
        finally
        {
            await stopWatching.CancelAsync();
            try { await watcher; }
            catch (OperationCanceledException) { /* stopped above */ }
        }
    }

    private static async Task<double> WriteAndWaitAsync(CouchClient client, string sourceDb, string id,
        ConcurrentDictionary<string, TaskCompletionSource<long>> arrivals, Task watcher, CancellationToken ct)
    {
        var arrived = arrivals.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        var start = Stopwatch.GetTimestamp();
        (await client.PutAsync($"{sourceDb}/{id}", writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("written", start);
            writer.WriteEndObject();
        })).Dispose();
        // A watcher that died (a feed refused or cut) must fail the measurement, not time it out.
        if (await Task.WhenAny(arrived.Task, watcher).WaitAsync(ArrivalLimit, ct) == watcher)
        {
            await watcher;
            throw new InvalidOperationException($"The target's changes feed ended before {id} arrived.");
        }
        return Stopwatch.GetElapsedTime(start, await arrived.Task).TotalMilliseconds;
    }

    /// <summary>Follows the target's continuous changes feed and stamps each document id as it appears.</summary>
    private static async Task WatchAsync(CouchClient client, string targetDb, ConcurrentDictionary<string, TaskCompletionSource<long>> arrivals, CancellationToken ct)
    {
        using var response = await client.OpenStreamAsync($"{targetDb}/_changes?feed=continuous&heartbeat=5000&since=0", ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            var now = Stopwatch.GetTimestamp();
            using var row = JsonDocument.Parse(line);
            if (row.RootElement.TryGetProperty("id", out var id))
                arrivals.GetOrAdd(id.GetString()!, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(now);
        }
    }
}
