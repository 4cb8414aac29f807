using System.Net;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Bad input and hostile surroundings: each is refused with an error that names the problem,
/// nothing is written, and no credential shows.
/// </summary>
public abstract class BadInputTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const string OddPassword = "p@ss:w/rd%2B+ü€ 1";

    private Task<string> SeedAsync() => NewDbAsync("source", Enumerable.Range(0, 5).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i}" }));

    private async Task<CouchReplicationException> FailsAsync(CouchReplicationDoc doc, bool skipCertificateCheck = false)
    {
        doc.RetriesPerRequest ??= 0;
        return await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(doc, skipCertificateCheck));
    }

    private async Task AssertNotCreatedAsync(string targetDb) => Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));

    [ServerFact]
    public async Task An_unknown_host_and_a_refused_port_are_Unreachable()
    {
        var sourceDb = await SeedAsync();
        var unknown = await FailsAsync(new CouchReplicationDoc { Source = "http://no-such-host.invalid:5984/db", Target = Server.NewDbUrl("target"), CreateTarget = true });
        var refused = await FailsAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = $"http://127.0.0.1:{CouchServer.FreePort()}/db", CreateTarget = true });

        Assert.Equal(CouchErrorKind.Unreachable, unknown.Kind);
        Assert.Contains("no-such-host.invalid", unknown.Message);
        Assert.Equal(CouchErrorKind.Unreachable, refused.Kind);
        Assert.Contains("connection refused", refused.Message);
    }

    [ServerFact]
    public async Task An_html_page_malformed_json_or_a_server_that_is_not_couchdb_is_InvalidResponse_and_nothing_is_written()
    {
        var sourceDb = await SeedAsync();
        var cases = new Fault[]
        {
            new Fault.Answer(200, "text/html", "<html><body>Welcome to nginx!</body></html>"),
            new Fault.Answer(200, "application/json", "{\"db_name\": "),
            new Fault.Answer(404, "text/html", "<html><body>404 Not Found</body></html>"),
        };
        foreach (var answer in cases)
        {
            await using var proxy = new FaultProxy(Server.Url);
            proxy.Faults = r => r.Database == sourceDb ? answer : null;
            var targetDb = CouchServer.NewDbName("target");

            var error = await FailsAsync(new CouchReplicationDoc
            {
                Source = Url(proxy, sourceDb), Target = Url(targetDb), CreateTarget = true,
            });

            Assert.Equal(CouchErrorKind.InvalidResponse, error.Kind);
            Assert.Matches("CouchDB server|JSON", error.Message);
            await AssertNotCreatedAsync(targetDb);
        }
    }

    [ServerFact]
    public async Task Passwords_with_reserved_and_unicode_characters_work_from_the_url_and_as_credentials()
    {
        var sourceDb = await SeedAsync();
        await Client.AddUserAsync("odd-user", OddPassword, sourceDb, Server.IsCouchDb);
        var plain = new UriBuilder(Server.Url) { UserName = "", Password = "" }.Uri;
        var inUrl = new UriBuilder(new Uri(plain, sourceDb)) { UserName = "odd-user", Password = Uri.EscapeDataString(OddPassword) }.Uri.AbsoluteUri;

        var fromUrl = await RunAsync(new CouchReplicationDoc { Source = inUrl, Target = Server.NewDbUrl("target"), CreateTarget = true });
        var fromCredential = await RunAsync(new CouchReplicationDoc
        {
            Source = new Uri(plain, sourceDb).AbsoluteUri, SourceCredential = new CouchCredential("odd-user", OddPassword),
            Target = Server.NewDbUrl("target"), CreateTarget = true,
        });

        Assert.Equal(5, fromUrl.DocsWritten);
        Assert.Equal(5, fromCredential.DocsWritten);
        Assert.DoesNotContain(Uri.EscapeDataString(OddPassword), fromUrl.Source);
        Assert.Contains("odd-user:*****@", fromUrl.Source);
    }

    [ServerFact]
    public async Task Credentials_do_not_follow_a_redirect_to_another_host()
    {
        var sourceDb = await SeedAsync();
        await using var elsewhere = new FaultProxy(Server.Url);
        await using var redirecting = new FaultProxy(Server.Url);
        redirecting.Faults = r => new Fault.Answer(301, "application/json", """{"error":"moved"}""", new Uri(new UriBuilder(elsewhere.Url) { UserName = "", Password = "" }.Uri, r.PathAndQuery.TrimStart('/')).AbsoluteUri);

        var error = await FailsAsync(new CouchReplicationDoc { Source = Url(redirecting, sourceDb), Target = Server.NewDbUrl("target"), CreateTarget = true });

        Assert.Equal(301, error.StatusCode);
        Assert.Empty(elsewhere.Requests);
        Assert.DoesNotContain(CouchServer.AdminPassword, error.ToString());
    }

    [ServerFact(RequiresProgram = "tinyproxy")]
    public async Task Proxy_credentials_go_to_the_proxy_only()
    {
        var sourceDb = await SeedAsync();
        using var proxy = new TinyProxy();
        await using var recorder = new FaultProxy(Server.Url);

        // Basic auth, so that every request must carry the server's credentials and nothing of the proxy's.
        await RunAsync(new CouchReplicationDoc
        {
            Source = Url(recorder, sourceDb), Target = Server.NewDbUrl("target"), CreateTarget = true, SourceProxy = proxy.Url(),
            Authentication = CouchAuthentication.Basic,
        });

        Assert.NotEmpty(recorder.Requests);
        Assert.All(recorder.Requests, r =>
        {
            Assert.False(r.Headers.ContainsKey("Proxy-Authorization"));
            Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{CouchServer.AdminUser}:{CouchServer.AdminPassword}")), r.Headers["Authorization"]);
        });
    }

    [ServerFact]
    public async Task Tls_certificates_are_checked_unless_the_check_is_explicitly_skipped()
    {
        var sourceDb = await SeedAsync();
        await using var tls = new TlsTerminator(Server.Url);
        var targetDb = CouchServer.NewDbName("target");
        CouchReplicationDoc Doc() => new() { Source = new Uri(tls.Url, sourceDb).AbsoluteUri, Target = Url(targetDb), CreateTarget = true };

        var error = await FailsAsync(Doc());
        Assert.Equal(CouchErrorKind.Unreachable, error.Kind);
        Assert.Contains("TLS", error.Message);
        Assert.False(error.IsTransient);
        await AssertNotCreatedAsync(targetDb);

        var (task, _) = await new ReplicationRegistry().StartAsync(Doc(), skipCertificateCheck: true);
        var result = await task.GetResultAsync().WaitAsync(Limit);
        Assert.Equal(5, result.DocsWritten);
        Assert.True(task.TryTakeMessage(out var warning) && warning.IsWarning && warning.Text.Contains("not checked"));
    }
}

public sealed class BadInputOnPouchDb(PouchDbServer server) : BadInputTests<PouchDbServer>(server);

public sealed class BadInputOnCouchDb(CouchDbServer server) : BadInputTests<CouchDbServer>(server);
