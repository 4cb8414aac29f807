using System.Diagnostics;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// One replication in a process of its own (tests/CouchReplication.OneReplication), for tests that
/// set that process's limits (<see cref="MemoryLimitTests{TServer}"/>) or kill it midway
/// (<see cref="KilledBackupTests{TServer}"/>). Its environment names the source and the target and
/// may set limits and fields; its standard output is JSON lines.
/// </summary>
internal static class ChildReplication
{
    /// <summary>Starts the replication from <paramref name="source"/> to <paramref name="target"/> with <paramref name="environment"/> added.</summary>
    public static Process Start(string source, string target, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Assembly());
        start.Environment["COUCH_REPLICATE_SOURCE"] = source;
        start.Environment["COUCH_REPLICATE_TARGET"] = target;
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the replication's process.");
    }

    /// <summary>The child, built with the same configuration as this assembly (the test project references it).</summary>
    private static string Assembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var (framework, configuration) = (here.Name, here.Parent!.Name);
        return Path.Combine(RepoPaths.Root, "tests", "CouchReplication.OneReplication", "bin", configuration, framework, "CouchReplication.OneReplication.dll");
    }
}
