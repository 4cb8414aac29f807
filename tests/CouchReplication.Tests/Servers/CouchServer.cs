using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CouchReplication.Json;
using Xunit;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A CouchDB-compatible server for one test class: started by the fixture (pouchdb-server,
/// Apache CouchDB) or named by COUCH_TEST_URL. Each kind says why it cannot run here, and the
/// tests of a class whose server cannot run report themselves skipped with that reason.
/// </summary>
public abstract class CouchServer : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "secret";

    private Process? _process;
    private string? _workDir;

    /// <summary>The server root with admin credentials in it, ending in '/'.</summary>
    public Uri Url { get; private set; } = null!;

    public abstract string Name { get; }

    /// <summary>True for Apache CouchDB (or a server named by COUCH_TEST_URL that says it is CouchDB).</summary>
    public bool IsCouchDb { get; private set; }

    public CouchTestClient Client { get; private set; } = null!;

    /// <summary>A new database URL (with credentials) on this server.</summary>
    public string NewDbUrl(string prefix = "db") => new Uri(Url, NewDbName(prefix)).AbsoluteUri;

    public static string NewDbName(string prefix = "db") => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        if (SkipReasons.For(GetType()) is not null) return;
        _workDir = Directory.CreateTempSubdirectory("couchrepl-" + Name + "-").FullName;
        (Url, _process) = await StartAsync(_workDir);
        Client = new CouchTestClient(Url);
        await Client.WaitUntilUpAsync(_process, ReadyPath, TimeSpan.FromSeconds(60));
        IsCouchDb = await Client.IsCouchDbAsync();
    }

    /// <summary>
    /// Kills the server and starts it again on the same port and data directory after
    /// <paramref name="downtime"/>; <paramref name="whileDown"/> runs while it is down.
    /// </summary>
    public async Task RestartAsync(TimeSpan downtime, Func<Task>? whileDown = null)
    {
        var start = _process?.StartInfo ?? throw new InvalidOperationException("This server is not run by the fixture.");
        Kill();
        var up = DateTime.UtcNow + downtime;
        if (whileDown is not null) await whileDown();
        if (DateTime.UtcNow < up) await Task.Delay(up - DateTime.UtcNow);
        _process = Launch(start, Path.Combine(_workDir!, $"stdout-{DateTime.UtcNow.Ticks}.log"));
        await Client.WaitUntilUpAsync(_process, ReadyPath, TimeSpan.FromSeconds(60));
    }

    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Kill();
        if (_workDir is not null)
            try { Directory.Delete(_workDir, recursive: true); }
            catch (IOException) { /* a file still held by a dying process: temp space, cleaned by the OS */ }
        return Task.CompletedTask;
    }

    /// <summary>Starts the server (or names it); returns its admin URL and its process, if the fixture owns one.</summary>
    protected abstract Task<(Uri Url, Process? Process)> StartAsync(string workDir);

    /// <summary>The path that answers 200 once the server can take requests.</summary>
    protected virtual string ReadyPath => "";

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected static Uri AdminUrl(int port) => new($"http://{AdminUser}:{AdminPassword}@127.0.0.1:{port}/");

    protected static Process Launch(ProcessStartInfo start, string logFile)
    {
        start = Copy(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = new Process { StartInfo = start };
        if (!process.Start()) throw new InvalidOperationException("Could not start " + start.FileName);
        var log = TextWriter.Synchronized(new StreamWriter(logFile) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static ProcessStartInfo Copy(ProcessStartInfo start)
    {
        var copy = new ProcessStartInfo(start.FileName) { WorkingDirectory = start.WorkingDirectory };
        foreach (var arg in start.ArgumentList) copy.ArgumentList.Add(arg);
        foreach (var (key, value) in start.Environment) copy.Environment[key] = value;
        return copy;
    }
}

/// <summary>pouchdb-server 4.2.0 from tests/server, in memory, on a free loopback port.</summary>
public sealed class PouchDbServer : CouchServer
{
    public override string Name => "pouchdb-server";

    protected override Task<(Uri, Process?)> StartAsync(string workDir)
    {
        var config = Path.Combine(workDir, "config.json");
        File.WriteAllText(config, PlainJson.Serialize(new Dictionary<string, object?>
        {
            ["admins"] = new Dictionary<string, object?> { [AdminUser] = AdminPassword },
            ["log"] = new Dictionary<string, object?> { ["file"] = Path.Combine(workDir, "pouchdb.log") },
        }));
        var port = FreePort();
        var start = new ProcessStartInfo("node") { WorkingDirectory = workDir };
        foreach (var arg in new[] { Path.Combine(RepoPaths.TestServer, "server.js"), "-m", "-p", port.ToString(), "-o", "127.0.0.1", "-c", config, "-n" })
            start.ArgumentList.Add(arg);
        return Task.FromResult<(Uri, Process?)>((AdminUrl(port), Launch(start, Path.Combine(workDir, "stdout.log"))));
    }
}

/// <summary>
/// Apache CouchDB from /opt/couchdb: a throwaway single node with its own name, cookie, port
/// and data directory, no epmd, configured through COUCHDB_ARGS_FILE and COUCHDB_INI_FILES.
/// </summary>
public sealed class CouchDbServer : CouchServer
{
    public const string Home = "/opt/couchdb";

    public override string Name => "couchdb";

    // /_up answers before the system databases exist; _users appears last.
    protected override string ReadyPath => "_users";

    protected override Task<(Uri, Process?)> StartAsync(string workDir)
    {
        var port = FreePort();
        var distributionPort = FreePort();
        var data = Directory.CreateDirectory(Path.Combine(workDir, "data")).FullName;
        var vmArgs = File.ReadAllLines(Path.Combine(Home, "etc", "vm.args"))
            .Where(line => !line.StartsWith("-name", StringComparison.Ordinal) && !line.StartsWith("-setcookie", StringComparison.Ordinal))
            .Concat([
                $"-name couchtest{port}@127.0.0.1",
                $"-setcookie {Guid.NewGuid():N}",
                "-start_epmd false",
                $"-erl_epmd_port {distributionPort}",
            ]);
        File.WriteAllLines(Path.Combine(workDir, "vm.args"), vmArgs);
        var ini = new Dictionary<string, string>
        {
            ["UUID"] = Guid.NewGuid().ToString("N"),
            ["DATA"] = data,
            ["PORT"] = port.ToString(),
            ["ADMIN_USER"] = AdminUser,
            ["ADMIN_PASSWORD"] = AdminPassword,
            ["LOG"] = Path.Combine(workDir, "couch.log"),
        }.Aggregate(File.ReadAllText(RepoPaths.CouchDbTestNodeIni), (text, field) => text.Replace("{" + field.Key + "}", field.Value));
        File.WriteAllText(Path.Combine(workDir, "local.ini"), ini);
        var start = new ProcessStartInfo(Path.Combine(Home, "bin", "couchdb")) { WorkingDirectory = workDir };
        start.Environment["COUCHDB_ARGS_FILE"] = Path.Combine(workDir, "vm.args");
        start.Environment["COUCHDB_INI_FILES"] = $"{Path.Combine(Home, "etc", "default.ini")} {Path.Combine(workDir, "local.ini")}";
        return Task.FromResult<(Uri, Process?)>((AdminUrl(port), Launch(start, Path.Combine(workDir, "stdout.log"))));
    }
}

/// <summary>The server COUCH_TEST_URL names (credentials in the URL); nothing is started.</summary>
public sealed class ExternalServer : CouchServer
{
    public const string Variable = "COUCH_TEST_URL";

    public override string Name => "COUCH_TEST_URL";

    protected override Task<(Uri, Process?)> StartAsync(string workDir)
    {
        var url = Environment.GetEnvironmentVariable(Variable)!;
        return Task.FromResult<(Uri, Process?)>((new Uri(url.EndsWith('/') ? url : url + "/"), null));
    }
}
