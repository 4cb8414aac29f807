using System.Diagnostics;
using System.Runtime.InteropServices;
using CouchReplication.Bench;
using CouchReplication.Tests.Servers;

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}{Environment.NewLine}{Environment.NewLine}{BenchOptions.Usage}");
    return 2;
}

// Ctrl+C or a kill stops the measurement, but clean-up (databases, a throwaway server) still runs.
using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext signal)
{
    signal.Cancel = true;
    stopping.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

Process? namedServer;
try
{
    namedServer = options.ServerPid is { } pid ? Process.GetProcessById(pid) : null;
}
catch (ArgumentException)
{
    Console.Error.WriteLine($"error: --server-pid {options.ServerPid}: no such process");
    return 2;
}
using var namedServerHandle = namedServer;

if (options.Measure is not null)
{
    using var parentsClient = new CouchClient(options.Url!, stopping.Token);
    await PhaseProcess.MeasureAsync(parentsClient, namedServer, options, stopping.Token);
    return 0;
}

ThrowawayServer? couchDb;
try
{
    couchDb = options.StartCouchDb ? await ThrowawayServer.StartAsync("couchdb", "admin", "bench") : null;
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"error: --couchdb: {e.Message}");
    return 2;
}
await using var couchDbHandle = couchDb;
using var couchDbProcess = couchDb is null ? null : Process.GetProcessById(couchDb.Pid);
var serverUrl = couchDb?.Url ?? options.Url!;
using var client = new CouchClient(serverUrl, stopping.Token);
var dbPrefix = $"bench-{Guid.NewGuid().ToString("N")[..8]}-";
try
{
    await new Benchmark(client, couchDbProcess ?? namedServer, options, dbPrefix, stopping.Token).RunAsync();
    return 0;
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped.");
    return 130;
}
finally
{
    using var cleanup = new CouchClient(serverUrl, CancellationToken.None);
    await cleanup.DeleteDatabasesAsync(dbPrefix);
}
