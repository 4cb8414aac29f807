using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A throwaway pouchdb-server or Apache CouchDB (one node, or a cluster of several) started by
/// <c>tests/server/throwaway.js</c>, the one launcher of the xunit suites, the Pester suites and
/// the benchmark (which compiles this file in too): a free loopback port per node, admin
/// credentials, a temporary folder of its own. Disposing closes the launcher's stdin, which kills
/// the server and deletes the folder.
/// </summary>
public sealed class ThrowawayServer : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    private readonly Process _launcher;
    private readonly StringBuilder _stderr = new();

    private ThrowawayServer(Process launcher) => _launcher = launcher;

    /// <summary>The server root with the admin's credentials in it, ending in '/'.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The server's process id (it changes with a restart).</summary>
    public int Pid { get; private set; }

    /// <summary>Each node of the server, the first being <see cref="Url"/>: one unless started as a cluster.</summary>
    public IReadOnlyList<ThrowawayNode> Nodes { get; private set; } = [];

    /// <summary>The launcher script.</summary>
    public static string Script => Path.Combine(RepoPaths.Root, "tests", "server", "throwaway.js");

    /// <summary>
    /// Starts a server, <c>pouchdb-server</c> or <c>couchdb</c>, and returns once it answers; with
    /// <paramref name="nodes"/> above one, a CouchDB cluster of that many nodes, once it is joined.
    /// </summary>
    public static async Task<ThrowawayServer> StartAsync(string kind, string adminUser, string adminPassword, int nodes = 1)
    {
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { Script, kind, "--admin", $"{adminUser}:{adminPassword}", "--nodes", nodes.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var server = new ThrowawayServer(Process.Start(start) ?? throw new InvalidOperationException("Could not start node " + Script));
        server._launcher.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._stderr) server._stderr.AppendLine(e.Data); };
        server._launcher.BeginErrorReadLine();
        try
        {
            await server.StartedAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Kills the server and starts it again on the same port and data after <paramref name="downtime"/>;
    /// <paramref name="whileDown"/> runs while it is down.
    /// </summary>
    public async Task RestartAsync(TimeSpan downtime, Func<Task>? whileDown = null)
    {
        await Command("stop");
        var up = DateTime.UtcNow + downtime;
        if (whileDown is not null) await whileDown();
        if (DateTime.UtcNow < up) await Task.Delay(up - DateTime.UtcNow);
        await Command("start");
        await StartedAsync();
    }

    /// <summary>Kills node <paramref name="node"/> of a cluster (its process group, by PID), keeping its port and data.</summary>
    public Task StopNodeAsync(int node) => Command($"stop {node}");

    /// <summary>Starts node <paramref name="node"/> of a cluster again and returns once it answers.</summary>
    public async Task StartNodeAsync(int node)
    {
        await Command($"start {node}");
        await StartedAsync();
    }

    private async Task Command(string command)
    {
        await _launcher.StandardInput.WriteLineAsync(command);
        await _launcher.StandardInput.FlushAsync();
        if (command.StartsWith("stop", StringComparison.Ordinal)) (await AnswerAsync()).Dispose();
    }

    /// <summary>Reads the launcher's answer to a start: the server's URL and process.</summary>
    private async Task StartedAsync()
    {
        using var started = await AnswerAsync();
        Url = new Uri(started.RootElement.GetProperty("url").GetString()!);
        Pid = started.RootElement.GetProperty("pid").GetInt32();
        Nodes = started.RootElement.GetProperty("nodes").EnumerateArray()
            .Select(n => new ThrowawayNode(new Uri(n.GetProperty("url").GetString()!), n.GetProperty("name").GetString(),
                n.GetProperty("pid").ValueKind == JsonValueKind.Number ? n.GetProperty("pid").GetInt32() : null))
            .ToList();
    }

    private async Task<JsonDocument> AnswerAsync()
    {
        string? line;
        try
        {
            line = await _launcher.StandardOutput.ReadLineAsync().WaitAsync(StartLimit);
        }
        catch (TimeoutException)
        {
            line = null;
        }
        if (line is null)
        {
            if (!_launcher.WaitForExit(5_000)) _launcher.Kill(entireProcessTree: true);
            _launcher.WaitForExit();
            lock (_stderr) throw new InvalidOperationException($"{Script} gave no answer: {_stderr}".TrimEnd());
        }
        return JsonDocument.Parse(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_launcher.HasExited)
        {
            try { _launcher.StandardInput.Close(); }
            catch (IOException) { /* the launcher is gone already */ }
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _launcher.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { _launcher.Kill(entireProcessTree: true); }
        }
        _launcher.Dispose();
    }
}

/// <summary>One node of a throwaway server: its URL (admin credentials in it), its Erlang node name (none for pouchdb-server), and its process while it runs.</summary>
public sealed record ThrowawayNode(Uri Url, string? Name, int? Pid);
