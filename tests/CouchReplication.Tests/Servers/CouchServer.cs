using System.Net;
using System.Net.Sockets;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A CouchDB-compatible server for one test class: started by the fixture (pouchdb-server,
/// Apache CouchDB, through <see cref="ThrowawayServer"/>) or named by COUCH_TEST_URL. Each kind
/// says why it cannot run here, and the tests of a class whose server cannot run report themselves
/// skipped with that reason.
/// </summary>
public abstract class CouchServer : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "secret";

    private ThrowawayServer? _throwaway;

    /// <summary>The server root with admin credentials in it, ending in '/'.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>True for Apache CouchDB (or a server named by COUCH_TEST_URL that says it is CouchDB).</summary>
    public bool IsCouchDb { get; private set; }

    public CouchTestClient Client { get; private set; } = null!;

    /// <summary>A new database URL (with credentials) on this server.</summary>
    public string NewDbUrl(string prefix = "db") => new Uri(Url, NewDbName(prefix)).AbsoluteUri;

    public static string NewDbName(string prefix = "db") => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The server <c>tests/server/throwaway.js</c> starts (<c>pouchdb-server</c>, <c>couchdb</c>), or null for one it does not.</summary>
    protected abstract string? ThrowawayKind { get; }

    /// <summary>How many nodes the throwaway server has: more than one for a CouchDB cluster.</summary>
    protected virtual int NodeCount => 1;

    /// <summary>The throwaway server, for a suite that stops and starts its nodes.</summary>
    protected ThrowawayServer Throwaway => _throwaway ?? throw new InvalidOperationException("This server is not run by the fixture.");

    public async Task InitializeAsync()
    {
        if (SkipReasons.For(GetType()) is not null) return;
        if (ThrowawayKind is { } kind)
        {
            _throwaway = await ThrowawayServer.StartAsync(kind, AdminUser, AdminPassword, NodeCount);
            Url = _throwaway.Url;
        }
        else
        {
            Url = ExternalServer.NamedUrl();
        }
        Client = new CouchTestClient(Url);
        IsCouchDb = await Client.IsCouchDbAsync();
    }

    /// <summary>
    /// Kills the server and starts it again on the same port and data directory after
    /// <paramref name="downtime"/>; <paramref name="whileDown"/> runs while it is down.
    /// </summary>
    public Task RestartAsync(TimeSpan downtime, Func<Task>? whileDown = null) => Throwaway.RestartAsync(downtime, whileDown);

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_throwaway is not null) await _throwaway.DisposeAsync();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>pouchdb-server 4.2.0 from tests/server, in memory, on a free loopback port.</summary>
public sealed class PouchDbServer : CouchServer
{
    protected override string ThrowawayKind => "pouchdb-server";
}

/// <summary>
/// Apache CouchDB from /opt/couchdb: a throwaway single node with its own name, cookie, port
/// and data directory, no epmd, configured by tests/couchdb-test-node.ini.
/// </summary>
public sealed class CouchDbServer : CouchServer
{
    public const string Home = "/opt/couchdb";

    protected override string ThrowawayKind => "couchdb";
}

/// <summary>
/// A throwaway cluster of three Apache CouchDB nodes on loopback (n=3, q=2): own node names, one
/// cookie, their own epmd, a free port each, data under one temporary folder. <see cref="CouchServer.Url"/>
/// is the first node; a suite stops and starts the others by their index.
/// </summary>
public sealed class CouchDbCluster : CouchServer
{
    protected override string ThrowawayKind => "couchdb";

    protected override int NodeCount => 3;

    /// <summary>The nodes, their URLs with the admin's credentials in them.</summary>
    public IReadOnlyList<ThrowawayNode> Nodes => Throwaway.Nodes;

    /// <summary>Kills node <paramref name="node"/> (its whole process group, by PID), keeping its port and data.</summary>
    public Task StopNodeAsync(int node) => Throwaway.StopNodeAsync(node);

    /// <summary>Starts node <paramref name="node"/> again, on its port and data; returns once it answers.</summary>
    public Task StartNodeAsync(int node) => Throwaway.StartNodeAsync(node);
}

/// <summary>The server COUCH_TEST_URL names (credentials in the URL); nothing is started.</summary>
public sealed class ExternalServer : CouchServer
{
    public const string Variable = "COUCH_TEST_URL";

    protected override string? ThrowawayKind => null;

    internal static Uri NamedUrl()
    {
        var url = Environment.GetEnvironmentVariable(Variable)!;
        return new Uri(url.EndsWith('/') ? url : url + "/");
    }
}
