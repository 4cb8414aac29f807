using System.Diagnostics;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A real HTTP proxy (tinyproxy, from Debian's packages) on a free loopback port, with basic
/// authentication, logging every request it forwards.
/// </summary>
public sealed class TinyProxy : IDisposable
{
    public const string User = "proxyuser";
    // tinyproxy's config grammar takes no ":" or "@" in a BasicAuth password.
    public const string Password = "proxy-p4ss.x";

    private readonly Process _process;
    private readonly string _dir;

    public TinyProxy()
    {
        _dir = Directory.CreateTempSubdirectory("couchrepl-tinyproxy-").FullName;
        Port = CouchServer.FreePort();
        File.WriteAllText(Path.Combine(_dir, "tinyproxy.conf"), $"""
            Port {Port}
            Listen 127.0.0.1
            Timeout 60
            LogFile "{Log}"
            LogLevel Info
            MaxClients 50
            Allow 127.0.0.1
            BasicAuth {User} {Password}
            DisableViaHeader Yes
            """);
        var start = new ProcessStartInfo(SkipReasons.FindProgram("tinyproxy")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-d", "-c", Path.Combine(_dir, "tinyproxy.conf") }) start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Listening() && DateTime.UtcNow < deadline) Thread.Sleep(50);
    }

    public int Port { get; }

    public string Log => Path.Combine(_dir, "tinyproxy.log");

    /// <summary>The proxy URL with its credentials, percent-encoded.</summary>
    public string Url(string password = Password) => $"http://{User}:{Uri.EscapeDataString(password)}@127.0.0.1:{Port}";

    public string LogText() => File.Exists(Log) ? File.ReadAllText(Log) : "";

    private bool Listening()
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* temp space */ }
    }
}
