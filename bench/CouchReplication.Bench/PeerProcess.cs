using System.Diagnostics;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Bench;

/// <summary>One run of a peer's program: its output, and what it and the server spent.</summary>
internal sealed record PeerRun(string Output, TimeSpan Elapsed, TimeSpan? ServerCpu, TimeSpan PeerCpu, long PeakRss);

/// <summary>
/// Runs a peer (bench/peers: PouchDB's replicate() through replicate.js, couchbackup,
/// couchrestore) with Node.js as a user runs it: a process of its own, timed from its start to its
/// exit, with its peak memory and CPU sampled from /proc (<see cref="ProcessTreeSampler"/>). URLs
/// with credentials go in the environment, not on a command line others can list.
/// </summary>
internal static class PeerProcess
{
    /// <summary>bench/peers, where <c>npm ci --prefix bench/peers</c> installs the pinned peers.</summary>
    public static string Folder => Path.Combine(RepoPaths.Root, "bench", "peers");

    public static string CouchBackup => Path.Combine(Folder, "node_modules", "@cloudant", "couchbackup", "bin", "couchbackup.bin.js");

    public static string CouchRestore => Path.Combine(Folder, "node_modules", "@cloudant", "couchbackup", "bin", "couchrestore.bin.js");

    public static string Replicate => Path.Combine(Folder, "replicate.js");

    /// <summary>Whether the peers are installed; the phase says how to install them when not.</summary>
    public static bool Installed => File.Exists(CouchBackup) && Directory.Exists(Path.Combine(Folder, "node_modules", "pouchdb"));

    /// <summary>
    /// Runs <c>node <paramref name="script"/> <paramref name="arguments"/></c>; <paramref name="input"/>
    /// is a file given as its standard input (couchrestore reads its backup there). A failed run throws with its standard error.
    /// </summary>
    public static Task<PeerRun> RunAsync(string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string? input, Process? server, CancellationToken ct) =>
        RunCommandAsync("node", [script, .. arguments], environment, input, server, ct);

    /// <summary>Runs <paramref name="program"/> (node, or a shell that runs node in a loop) with its arguments, as <see cref="RunAsync"/> does.</summary>
    public static async Task<PeerRun> RunCommandAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string? input, Process? server, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        await using var monitor = ResourceMonitor.Start(interval: null, server);
        using var peer = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var sampler = ProcessTreeSampler.Start(peer.Id);
        var output = peer.StandardOutput.ReadToEndAsync(ct);
        var errors = peer.StandardError.ReadToEndAsync(ct);
        try
        {
            if (input is not null)
            {
                await using (var file = File.OpenRead(input)) await file.CopyToAsync(peer.StandardInput.BaseStream, ct);
                peer.StandardInput.Close();
            }
            await peer.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            peer.Kill(entireProcessTree: true);
            throw;
        }
        finally
        {
            await sampler.DisposeAsync();
        }
        var usage = await monitor.StopAsync();
        if (peer.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList.Take(1).Select(Path.GetFileName))} exited with {peer.ExitCode}: {await errors}");
        return new PeerRun(await output, usage.Elapsed, usage.ServerCpu, sampler.Cpu, sampler.PeakBytes);
    }
}
