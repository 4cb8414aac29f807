using CouchReplication.Document;
using CouchReplication.Http;
using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>
/// Replications to one server share its connections (one pool per server and way of connecting),
/// each keeping to its own http_connections, and the pool carries no one's credentials: observed
/// by counting the TCP connections opened through a relay in front of the server.
/// </summary>
public abstract class SharedConnectionsTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const int Databases = 12, MaxJobs = 3, HttpConnections = 2;

    private static CouchReplicationDoc Through(ConnectionCounter relay, string sourceDb, string targetDb, string? password = null) => new()
    {
        Source = new UriBuilder(new Uri(relay.Url, sourceDb)) { Password = password ?? CouchServer.AdminPassword }.Uri.AbsoluteUri,
        Target = new Uri(relay.Url, targetDb).AbsoluteUri,
        CreateTarget = true,
        HttpConnections = HttpConnections,
    };

    private Task<string> SeedAsync() => NewDbAsync("source", Enumerable.Range(0, 30).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D3}" }));

    [ServerFact]
    public async Task Replications_to_one_server_share_its_connections()
    {
        var sources = new List<string>();
        for (var i = 0; i < Databases; i++) sources.Add(await SeedAsync());
        await using var relay = new ConnectionCounter(Server.Url);
        var registry = new ReplicationRegistry { MaxJobs = MaxJobs };

        var started = new List<(string Source, string Target, CouchReplicationTask Task)>();
        foreach (var source in sources)
        {
            var target = CouchServer.NewDbName("target");
            started.Add((source, target, (await registry.StartAsync(OneRun(Through(relay, source, target)))).Task));
        }
        foreach (var (source, target, task) in started)
        {
            var result = await task.GetResultAsync().WaitAsync(Limit);
            await NothingLost.AssertAsync(Client, source, target, result.Failures);
        }

        // Each job's two ends hold at most http_connections each: MaxJobs x 2 x http_connections at
        // once, and a shared pool opens no more than that in all. A pool per replication end would
        // have opened at least one connection per end: 2 per database.
        const int mostInUse = MaxJobs * 2 * HttpConnections;
        Assert.InRange(relay.MostOpen, 1, mostInUse);
        Assert.InRange(relay.Opened, 1, mostInUse);
        Assert.True(relay.Opened < 2 * Databases, $"{relay.Opened} connections for {Databases} replications");
    }

    [ServerFact]
    public async Task A_shared_connection_carries_each_replication_s_own_credentials()
    {
        var sourceDb = await SeedAsync();
        await using var relay = new ConnectionCounter(Server.Url);
        await ReplicateAsync(Through(relay, sourceDb, CouchServer.NewDbName("target")));
        var opened = relay.Opened;

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            ReplicateAsync(Through(relay, sourceDb, CouchServer.NewDbName("target"), password: "not-the-password")));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.Equal(opened, relay.Opened);
    }
}

public sealed class SharedConnectionsOnPouchDb(PouchDbServer server) : SharedConnectionsTests<PouchDbServer>(server);

public sealed class SharedConnectionsOnCouchDb(CouchDbServer server) : SharedConnectionsTests<CouchDbServer>(server);

/// <summary>Which replication ends share a pool: the same server reached the same way, whoever the user.</summary>
public sealed class ServerConnectionsTests
{
    private static readonly HttpSettings Settings = new(4, TimeSpan.FromSeconds(30), 3);

    private static CouchEndpoint Endpoint(string url, string? proxy = null) =>
        CouchEndpoint.Parse(url, "source", proxy: ProxySetting.Parse(proxy, "proxy"));

    [Fact]
    public void Ends_on_one_server_share_a_pool_whatever_their_database_and_user()
    {
        using var alice = ServerConnections.Borrow(Endpoint("http://alice:a@127.0.0.1:59841/one"), Settings);
        using var bob = ServerConnections.Borrow(Endpoint("http://bob:b@127.0.0.1:59841/two"), Settings with { HttpConnections = 1, RetriesPerRequest = 0 });

        Assert.Same(alice.Handler, bob.Handler);
    }

    [Fact]
    public void Anything_that_changes_how_connections_are_made_gets_a_pool_of_its_own()
    {
        const string url = "http://127.0.0.1:59842/db";
        using var plain = ServerConnections.Borrow(Endpoint(url), Settings);
        var others = new[]
        {
            ServerConnections.Borrow(Endpoint("http://127.0.0.1:59843/db"), Settings),
            ServerConnections.Borrow(Endpoint("https://127.0.0.1:59842/db"), Settings),
            ServerConnections.Borrow(Endpoint(url, "http://proxy:p@127.0.0.1:3128"), Settings),
            ServerConnections.Borrow(Endpoint(url, "http://proxy:other@127.0.0.1:3128"), Settings),
            ServerConnections.Borrow(Endpoint(url), Settings with { ConnectionTimeout = TimeSpan.FromSeconds(5) }),
            ServerConnections.Borrow(Endpoint(url), Settings with { SocketOptions = new SocketOptions(KeepAlive: true, NoDelay: null) }),
            ServerConnections.Borrow(Endpoint(url), Settings with { SkipCertificateCheck = true }),
        };

        Assert.Equal(others.Length + 1, others.Select(o => o.Handler).Append(plain.Handler).Distinct().Count());
        foreach (var other in others) other.Dispose();
    }

    [Fact]
    public void A_pool_given_back_by_everyone_is_closed_and_the_next_borrower_opens_a_new_one()
    {
        var endpoint = Endpoint("http://127.0.0.1:59844/db");
        var first = ServerConnections.Borrow(endpoint, Settings);
        var handler = first.Handler;
        first.Dispose();
        first.Dispose();

        ServerConnections.CloseUnused();

        using var next = ServerConnections.Borrow(endpoint, Settings);
        Assert.NotSame(handler, next.Handler);
        Assert.Throws<ObjectDisposedException>(() => new HttpClient(handler, disposeHandler: false).Send(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:59844/")));
    }
}
