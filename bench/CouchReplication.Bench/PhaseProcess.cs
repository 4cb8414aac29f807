using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>
/// A copy measured in a process of its own: this program started again with <c>--measure</c>, so
/// a phase's peak working set and managed heap are its own, not what the seeding, the warm-up or an
/// earlier phase left behind (freed memory a process keeps, pooled buffers). The child warms up on
/// a small database, then copies and prints its <see cref="OneShotRun"/> as one JSON line. The
/// server's URL, with its credentials, goes through the environment, not the command line.
/// </summary>
internal static class PhaseProcess
{
    private const string ServerUrlVariable = "COUCH_BENCH_SERVER_URL";
    private const string ResultPrefix = "RESULT ";

    /// <summary>Runs <paramref name="phase"/> (engine or raw) in a child process and returns what it measured.</summary>
    public static async Task<OneShotRun> RunAsync(string phase, CouchClient client, int? serverPid, BenchOptions options,
        string sourceDb, string targetDb, string warmUpDb, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet CouchReplication.Bench.dll` the process is the dotnet host; under the apphost, this program.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var argument in ChildArguments(phase, serverPid, options, sourceDb, targetDb, warmUpDb)) start.ArgumentList.Add(argument);
        start.Environment[ServerUrlVariable] = client.ServerUrl.AbsoluteUri;

        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the benchmark's child process.");
        await using var kill = ct.Register(() => child.Kill(entireProcessTree: true));
        OneShotRun? run = null;
        while (await child.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal)) run = JsonSerializer.Deserialize<OneShotRun>(line[ResultPrefix.Length..]);
            else Console.WriteLine(line);
        }
        await child.WaitForExitAsync(ct);
        return run is not null && child.ExitCode == 0
            ? run
            : throw new InvalidOperationException($"The {phase} phase's process ended with exit code {child.ExitCode} and no result.");
    }

    private static IEnumerable<string> ChildArguments(string phase, int? serverPid, BenchOptions options, string sourceDb, string targetDb, string warmUpDb)
    {
        string[] arguments =
        [
            "--measure", phase, "--source-db", sourceDb, "--target-db", targetDb, "--warm-up-db", warmUpDb,
            "--docs", Invariant(options.Docs), "--size", Invariant(options.Size),
            "--attachments", Invariant(options.Attachments), "--attachment-size", Invariant(options.AttachmentSize),
            "--raw-parallel", Invariant(options.RawParallel), "--raw-batch-size", Invariant(options.RawBatchSize),
        ];
        if (serverPid is { } pid) arguments = [.. arguments, "--server-pid", Invariant(pid)];
        if (options.Workers is { } workers) arguments = [.. arguments, "--workers", Invariant(workers)];
        if (options.BatchSize is { } batchSize) arguments = [.. arguments, "--batch-size", Invariant(batchSize)];
        return arguments;
    }

    /// <summary>In the child: the server URL its parent gave, or null when this process was not started by <see cref="RunAsync"/>.</summary>
    public static Uri? ServerUrlFromParent() =>
        Environment.GetEnvironmentVariable(ServerUrlVariable) is { Length: > 0 } url ? new Uri(url) : null;

    /// <summary>In the child: warms up on the small database, then measures the copy and prints its result for the parent.</summary>
    public static async Task MeasureAsync(CouchClient client, Process? server, BenchOptions options, CancellationToken ct)
    {
        var measure = options.Measure!;
        var warmTarget = measure.TargetDb + "-warm-up";
        // A file target's warm-up copy is kept: the restore phase warms up on it.
        var toFile = EngineOneShot.IsFile(warmTarget);
        if (!toFile) (await client.PutAsync(warmTarget)).Dispose();
        await CopyAsync(measure.Phase, client, server, measure.WarmUpDb, warmTarget, options, ct);
        if (!toFile) (await client.DeleteAsync(warmTarget)).Dispose();
        var run = await CopyAsync(measure.Phase, client, server, measure.SourceDb, measure.TargetDb, options, ct);
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(run));
    }

    private static Task<OneShotRun> CopyAsync(string phase, CouchClient client, Process? server, string sourceDb, string targetDb, BenchOptions options,
        CancellationToken ct) =>
        phase == "engine"
            ? EngineOneShot.RunAsync(client, server, sourceDb, targetDb, options, ct)
            : RawCopy.RunAsync(client, server, sourceDb, targetDb, options, ct);

    private static string Invariant(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
