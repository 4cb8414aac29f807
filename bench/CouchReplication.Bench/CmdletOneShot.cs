using System.Diagnostics;
using System.Globalization;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Bench;

/// <summary>
/// Start-CouchReplication as a user runs it: a fresh pwsh (the pinned PowerShell dotnet tool, run
/// as <c>dotnet pwsh</c> like the Pester suites) imports the built module and copies the source
/// one-shot, waiting, with its progress bar. Timed from starting the process until it exits, so
/// pwsh's start, the module's import and .NET compiling the engine all count; the script reports
/// when each step ended. Then the server's replicator copies the same source on the same server.
/// </summary>
internal static class CmdletOneShot
{
    private const string Script = """
        $ErrorActionPreference = 'Stop'
        $started = [DateTime]::UtcNow.Ticks
        Import-Module $env:BENCH_MODULE
        $imported = [DateTime]::UtcNow.Ticks
        $result = Start-CouchReplication $env:BENCH_SOURCE $env:BENCH_TARGET -CreateTarget:($env:BENCH_CREATE_TARGET -eq '1')
        $copied = [DateTime]::UtcNow.Ticks
        $configuration = (Get-Module CouchReplication).ImplementingAssembly.GetCustomAttributes([Reflection.AssemblyConfigurationAttribute], $false).Configuration
        $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.Ticks
        "$started $imported $copied $($result.History[0].DocsWritten) $cpu $configuration"
        """;

    /// <summary>
    /// One copy by the cmdlet: the whole process, when pwsh was up, the module imported and the copy
    /// done, the CPU time of pwsh and of the server (which noise on a shared machine moves least),
    /// and the peak resident memory of the process (<see cref="ProcessTreeSampler"/>).
    /// </summary>
    public sealed record Run(int Docs, long DocsWritten, TimeSpan Process, TimeSpan PwshUp, TimeSpan Imported, TimeSpan Copy,
        TimeSpan PwshCpu, TimeSpan? ServerCpu, string Configuration, long PeakRss)
    {
        public double DocsPerSecond => Docs / Process.TotalSeconds;
    }

    /// <summary>
    /// For each size in <c>--cmdlet-docs</c>: seeds a source, copies it with the cmdlet in a fresh
    /// pwsh, then with the server's replicator (<c>POST /_replicate</c>), each into an empty target
    /// made beforehand, and prints both and their ratio.
    /// </summary>
    public static async Task MeasureAsync(CouchClient client, Process? server, BenchOptions options, string dbPrefix, TimeSpan quietLimit, CancellationToken ct)
    {
        Console.WriteLine();
        var module = options.Module ?? BuiltModule;
        Console.WriteLine($"cmdlet: Start-CouchReplication one-shot in a fresh pwsh (dotnet pwsh, module {module}), against the server's replicator");
        foreach (var docs in options.CmdletDocs)
        {
            var sized = options with { Docs = docs };
            var sourceDb = $"{dbPrefix}cmdlet-{docs}-source";
            (await client.PutAsync(sourceDb)).Dispose();
            await new Seeder(sized).SeedAsync(client, sourceDb);
            foreach (var side in new[] { "cmdlet", "server" }) (await client.PutAsync($"{dbPrefix}cmdlet-{docs}-{side}")).Dispose();

            await client.WaitUntilQuietAsync(quietLimit);
            var cmdlet = await RunAsync(server, module, client.DbUrl(sourceDb), client.DbUrl($"{dbPrefix}cmdlet-{docs}-cmdlet"), docs, createTarget: false, ct);
            await client.WaitUntilQuietAsync(quietLimit);
            var own = await ServersOwnReplicator.RunAsync(client, server, sourceDb, $"{dbPrefix}cmdlet-{docs}-server", sized);

            var culture = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(culture, $"  {docs:N0} docs: fresh pwsh {cmdlet.DocsPerSecond:N0} docs/s, {cmdlet.Process.TotalSeconds:N1} s "
                + $"(pwsh up {cmdlet.PwshUp.TotalSeconds:N2} s, module imported {cmdlet.Imported.TotalSeconds:N2} s, Start-CouchReplication {cmdlet.Copy.TotalSeconds:N1} s, "
                + $"{cmdlet.Configuration} build{(cmdlet.DocsWritten == docs ? "" : $", WARNING: {cmdlet.DocsWritten:N0} written")}); "
                + $"CPU: pwsh {cmdlet.PwshCpu.TotalSeconds:N1} s, server {Seconds(cmdlet.ServerCpu)}"));
            Console.WriteLine(string.Create(culture, $"    server replicator {own.DocsPerSecond:N0} docs/s, {own.Usage.Elapsed.TotalSeconds:N1} s, server CPU {Seconds(own.Usage.ServerCpu)}; "
                + $"fresh pwsh / server replicator: {cmdlet.DocsPerSecond / own.DocsPerSecond:N2}x (the cmdlet's copy alone: {docs / cmdlet.Copy.TotalSeconds / own.DocsPerSecond:N2}x)"));
        }
    }

    /// <summary>The module folder the build assembles (out/CouchReplication).</summary>
    public static string BuiltModule => Path.Combine(RepoPaths.Root, "out", "CouchReplication", "CouchReplication.psd1");

    private static string Seconds(TimeSpan? cpu) => cpu is { } t ? t.TotalSeconds.ToString("N1", CultureInfo.InvariantCulture) + " s" : "n/a";

    /// <summary>
    /// One Start-CouchReplication in a fresh pwsh from <paramref name="source"/> to <paramref name="target"/>,
    /// each a database URL or a database file's path, with -CreateTarget when <paramref name="createTarget"/>.
    /// </summary>
    public static async Task<Run> RunAsync(Process? server, string module, string source, string target, int docs, bool createTarget, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // The tool manifest (.config/dotnet-tools.json) is found from the repository.
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The URLs carry the admin's password: in the environment, not on a command line others can list.
            Environment =
            {
                ["BENCH_MODULE"] = module, ["BENCH_SOURCE"] = source, ["BENCH_TARGET"] = target,
                ["BENCH_CREATE_TARGET"] = createTarget ? "1" : "0",
            },
        };
        foreach (var arg in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", Script }) start.ArgumentList.Add(arg);

        await using var monitor = ResourceMonitor.Start(interval: null, server);
        var launched = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var pwsh = Process.Start(start) ?? throw new InvalidOperationException("dotnet pwsh did not start");
        var sampler = ProcessTreeSampler.Start(pwsh.Id);
        var output = pwsh.StandardOutput.ReadToEndAsync(ct);
        var errors = pwsh.StandardError.ReadToEndAsync(ct);
        try
        {
            await pwsh.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            pwsh.Kill(entireProcessTree: true);
            throw;
        }
        finally
        {
            await sampler.DisposeAsync();
        }
        var elapsed = clock.Elapsed;
        var usage = await monitor.StopAsync();
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (pwsh.ExitCode != 0 || lines.Length == 0)
            throw new InvalidOperationException($"dotnet pwsh exited with {pwsh.ExitCode}: {await errors}");
        var fields = lines[^1].Split(' ');
        TimeSpan Since(int field) => new DateTime(long.Parse(fields[field], CultureInfo.InvariantCulture), DateTimeKind.Utc) - launched;
        var pwshUp = Since(0);
        var imported = Since(1);
        return new Run(docs, long.Parse(fields[3], CultureInfo.InvariantCulture), elapsed, pwshUp, imported, Since(2) - imported,
            TimeSpan.FromTicks(long.Parse(fields[4], CultureInfo.InvariantCulture)), usage.ServerCpu, fields.Length > 5 ? fields[5] : "?", sampler.PeakBytes);
    }
}
