using System.Diagnostics;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Runs tests/CouchReplication.OneReplication, one replication in a child process, for tests that
/// set what only a process can have (a GC heap limit, .NET's globalization mode) or that kill it
/// midway (<see cref="KilledBackupTests{TServer}"/>). Its environment names the source and the
/// target and may set limits and fields; its standard output is JSON lines.
/// </summary>
internal static class ChildReplication
{
    /// <summary>Runs the child with <paramref name="environment"/> added to this process's; killed after <paramref name="limit"/>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        using var child = Start(environment);
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await child.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
        return (child.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the child with <paramref name="environment"/> added to this process's; its output and error are the caller's to read.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ChildAssembly());
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the replication's process.");
    }

    /// <summary>The child, built with the same configuration as this assembly (the test project references it).</summary>
    private static string ChildAssembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var (framework, configuration) = (here.Name, here.Parent!.Name);
        return Path.Combine(RepoPaths.Root, "tests", "CouchReplication.OneReplication", "bin", configuration, framework, "CouchReplication.OneReplication.dll");
    }
}
