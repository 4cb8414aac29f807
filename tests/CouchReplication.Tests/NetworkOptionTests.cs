using CouchReplication.Document;
using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>Proxies, custom headers, the auth object and socket options, against a real server (and a real proxy).</summary>
public abstract class NetworkOptionTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private Task<string> SeedAsync() => NewDbAsync("source", Enumerable.Range(0, 10).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i}" }));

    [ServerFact(RequiresProgram = "tinyproxy")]
    public async Task Both_ends_go_through_an_authenticating_http_proxy()
    {
        using var proxy = new TinyProxy();
        var sourceDb = await SeedAsync();
        var targetDb = CouchServer.NewDbName("target");

        var result = await ReplicateAsync(new CouchReplicationDoc
        {
            Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true,
            Proxy = proxy.Url(),
        });

        Assert.Equal(10, result.DocsWritten);
        var log = proxy.LogText();
        Assert.Contains($"/{sourceDb}/_changes", log);
        Assert.Contains($"/{targetDb}/_bulk_docs", log);
    }

    [ServerFact(RequiresProgram = "tinyproxy")]
    public async Task Source_proxy_carries_only_the_source_and_a_wrong_proxy_password_is_refused()
    {
        using var proxy = new TinyProxy();
        var sourceDb = await SeedAsync();
        var targetDb = CouchServer.NewDbName("target");

        await ReplicateAsync(new CouchReplicationDoc
        {
            Source = Url(sourceDb), Target = Url(targetDb), CreateTarget = true,
            SourceProxy = proxy.Url(),
        });
        Assert.Contains($"/{sourceDb}/_changes", proxy.LogText());
        Assert.DoesNotContain(targetDb, proxy.LogText());

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => ReplicateAsync(new CouchReplicationDoc
        {
            Source = Url(sourceDb), Target = Server.NewDbUrl("target"), CreateTarget = true,
            Proxy = proxy.Url("wrong-proxy-password"),
        }));
        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.DoesNotContain("wrong-proxy-password", error.ToString());
    }

    [ServerFact(RequiresProgram = "tinyproxy")]
    public async Task Https_goes_through_the_proxy_in_a_connect_tunnel()
    {
        using var proxy = new TinyProxy();
        await using var tls = new TlsTerminator(Server.Url);
        var sourceDb = await SeedAsync();

        var result = await RunAsync(new CouchReplicationDoc
        {
            Source = new Uri(tls.Url, sourceDb).AbsoluteUri, Target = Server.NewDbUrl("target"), CreateTarget = true, SourceProxy = proxy.Url(),
        }, skipCertificateCheck: true);

        Assert.Equal(10, result.DocsWritten);
        Assert.Contains($"CONNECT 127.0.0.1:{tls.Url.Port}", proxy.LogText());
        Assert.DoesNotContain(sourceDb, proxy.LogText()); // the proxy saw only the tunnel, not the requests in it
    }

    [ServerFact]
    public async Task Custom_headers_go_to_their_end_only_and_the_auth_object_authenticates()
    {
        var sourceDb = await SeedAsync();
        await using var recorder = new FaultProxy(Server.Url);
        var bare = new UriBuilder(recorder.Url) { UserName = "", Password = "" }.Uri;
        var targetDb = CouchServer.NewDbName("target");
        Dictionary<string, object?> End(string db, string header) => new()
        {
            ["url"] = new Uri(bare, db).AbsoluteUri,
            ["headers"] = new Dictionary<string, object?> { [header] = "yes" },
            ["auth"] = new Dictionary<string, object?>
            {
                ["basic"] = new Dictionary<string, object?> { ["username"] = CouchServer.AdminUser, ["password"] = CouchServer.AdminPassword },
            },
        };
        var doc = CouchReplicationDoc.FromJson(Json.PlainJson.Serialize(new Dictionary<string, object?>
        {
            ["source"] = End(sourceDb, "X-Replication-Source"),
            ["target"] = End(targetDb, "X-Replication-Target"),
            ["create_target"] = true,
        }));

        var result = await ReplicateAsync(doc);

        Assert.Equal(10, result.DocsWritten);
        Assert.All(recorder.Requests.Where(r => r.Database == sourceDb), r =>
        {
            Assert.Equal("yes", r.Headers.GetValueOrDefault("X-Replication-Source"));
            Assert.False(r.Headers.ContainsKey("X-Replication-Target"));
            // The auth object's user logged in at _session once; its cookie goes with every request.
            Assert.Contains("AuthSession=", r.Headers.GetValueOrDefault("Cookie") ?? "");
        });
        Assert.Single(recorder.Requests, r => r.Database == "_session" && r.Body.Contains("name=" + CouchServer.AdminUser));
        Assert.All(recorder.Requests.Where(r => r.Database == targetDb), r => Assert.Equal("yes", r.Headers.GetValueOrDefault("X-Replication-Target")));
        Assert.NotEqual(
            ReplicationIdentityOf(doc),
            ReplicationIdentityOf(CouchReplicationDoc.FromJson($$"""{"source": "{{new Uri(bare, sourceDb)}}", "target": "{{new Uri(bare, targetDb)}}"}""")));
    }

    [ServerFact]
    public async Task Socket_options_apply_keepalive_and_nodelay_and_warn_about_the_rest()
    {
        var sourceDb = await SeedAsync();
        var doc = new CouchReplicationDoc
        {
            Source = Url(sourceDb), Target = Server.NewDbUrl("target"), CreateTarget = true,
            SocketOptions = "[{keepalive, true}, {nodelay, false}, {sndbuf, 4096}]",
        };

        var settings = ReplicationSettings.From(doc);
        var result = await ReplicateAsync(doc);

        Assert.Equal(new SocketOptions(KeepAlive: true, NoDelay: false), settings.Http.SocketOptions);
        Assert.Contains(settings.Warnings, w => w.Contains("{sndbuf, 4096} is ignored"));
        Assert.Equal(10, result.DocsWritten);
        Assert.Throws<CouchReplicationException>(() => ReplicationSettings.From(new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b", SocketOptions = "keepalive" }));
    }

    private static string ReplicationIdentityOf(CouchReplicationDoc doc) => Protocol.ReplicationIdentity.Compute(ReplicationSettings.From(doc), null);
}

public sealed class NetworkOptionsOnPouchDb(PouchDbServer server) : NetworkOptionTests<PouchDbServer>(server);

public sealed class NetworkOptionsOnCouchDb(CouchDbServer server) : NetworkOptionTests<CouchDbServer>(server);
