using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CouchReplication.Bench;

/// <summary>
/// Apache CouchDB from /opt/couchdb as a throwaway single node on a free loopback port: its own
/// data directory, node name and cookie, no epmd (so it runs beside any other CouchDB), configured
/// through COUCHDB_ARGS_FILE and COUCHDB_INI_FILES. Killed and deleted on dispose.
/// </summary>
internal sealed class ThrowawayCouchDb : IDisposable
{
    private const string Home = "/opt/couchdb";
    private const string Admin = "admin", Password = "bench";
    private readonly string _dir;

    private ThrowawayCouchDb(Process process, string dir, Uri url)
    {
        Process = process;
        _dir = dir;
        Url = url;
    }

    /// <summary>The server root with admin credentials.</summary>
    public Uri Url { get; }

    /// <summary>The server's process (the start script execs the Erlang VM, so this is CouchDB itself).</summary>
    public Process Process { get; }

    public static async Task<ThrowawayCouchDb> StartAsync()
    {
        if (!File.Exists(Path.Combine(Home, "bin", "couchdb"))) throw new InvalidOperationException($"--couchdb needs Apache CouchDB installed at {Home}; use --url instead.");
        var dir = Directory.CreateTempSubdirectory("couchrepl-bench-").FullName;
        int port = FreePort(), distributionPort = FreePort();
        File.WriteAllLines(Path.Combine(dir, "vm.args"), File.ReadLines(Path.Combine(Home, "etc", "vm.args"))
            .Where(line => !line.StartsWith("-name", StringComparison.Ordinal) && !line.StartsWith("-setcookie", StringComparison.Ordinal))
            .Concat([$"-name bench{port}@127.0.0.1", $"-setcookie {Guid.NewGuid():N}", "-start_epmd false", $"-erl_epmd_port {distributionPort}"]));
        File.WriteAllText(Path.Combine(dir, "local.ini"), $"""
            [couchdb]
            uuid = {Guid.NewGuid():N}
            database_dir = {dir}/data
            view_index_dir = {dir}/data
            single_node = true
            [chttpd]
            bind_address = 127.0.0.1
            port = {port}
            [admins]
            {Admin} = {Password}
            [log]
            writer = file
            file = {dir}/couch.log
            level = warning
            """);
        var start = new ProcessStartInfo(Path.Combine(Home, "bin", "couchdb"))
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["COUCHDB_ARGS_FILE"] = Path.Combine(dir, "vm.args"),
                ["COUCHDB_INI_FILES"] = $"{Home}/etc/default.ini {dir}/local.ini",
            },
        };
        var process = Process.Start(start)!;
        // Nobody reads the console (the log is couch.log), but a full pipe would block the server.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ThrowawayCouchDb(process, dir, new Uri($"http://{Admin}:{Password}@127.0.0.1:{port}/"));
        try
        {
            await server.WaitUntilUpAsync(TimeSpan.FromSeconds(60));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>/_up answers before the system databases exist; _users appears last.</summary>
    private async Task WaitUntilUpAsync(TimeSpan limit)
    {
        using var client = new CouchClient(Url, CancellationToken.None);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (Process.HasExited) throw new InvalidOperationException($"CouchDB exited with code {Process.ExitCode}; see {_dir}/couch.log");
            try
            {
                (await client.GetAsync("_users", TimeSpan.FromSeconds(5))).Dispose();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        Process.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a file still held by the dying server: temp space, cleaned by the OS */ }
    }
}
