using System.Net;
using CouchReplication.Tests.Servers;
using Xunit;

namespace CouchReplication.Tests;

/// <summary>
/// Bad input and hostile surroundings: each is refused with an error that names the problem,
/// nothing is written, and no credential shows.
/// </summary>
public abstract class BadInputTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : CouchServer
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private const string OddPassword = "p@ss:w/rd%2B+ü€ 1";

    private CouchTestClient Client => server.Client;

    private async Task<string> SeedAsync()
    {
        var db = CouchServer.NewDbName("source");
        await Client.CreateDbAsync(db);
        await Client.BulkDocsAsync(db, Enumerable.Range(0, 5).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i}" }), newEdits: true);
        return db;
    }

    private static async Task<CouchReplicationException> FailsAsync(CouchReplicationDoc doc, bool skipCertificateCheck = false)
    {
        doc.RetriesPerRequest ??= 0;
        return await Assert.ThrowsAsync<CouchReplicationException>(async () =>
            await (await new ReplicationRegistry().StartAsync(doc, skipCertificateCheck)).Task.Completion.WaitAsync(Limit));
    }

    private async Task AssertNotCreatedAsync(string targetDb) => Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));

    [ServerFact]
    public async Task An_unknown_host_and_a_refused_port_are_Unreachable()
    {
        var sourceDb = await SeedAsync();
        var unknown = await FailsAsync(new CouchReplicationDoc { Source = "http://no-such-host.invalid:5984/db", Target = server.NewDbUrl("target"), CreateTarget = true });
        var refused = await FailsAsync(new CouchReplicationDoc { Source = new Uri(server.Url, sourceDb).AbsoluteUri, Target = $"http://127.0.0.1:{CouchServer.FreePort()}/db", CreateTarget = true });

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
            await using var proxy = new FaultProxy(server.Url);
            proxy.Faults = r => r.Database == sourceDb ? answer : null;
            var targetDb = CouchServer.NewDbName("target");

            var error = await FailsAsync(new CouchReplicationDoc
            {
                Source = new Uri(proxy.Url, sourceDb).AbsoluteUri, Target = new Uri(server.Url, targetDb).AbsoluteUri, CreateTarget = true,
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
        await Client.AddUserAsync("odd-user", OddPassword, sourceDb, server.IsCouchDb);
        var plain = new UriBuilder(server.Url) { UserName = "", Password = "" }.Uri;
        var inUrl = new UriBuilder(new Uri(plain, sourceDb)) { UserName = "odd-user", Password = Uri.EscapeDataString(OddPassword) }.Uri.AbsoluteUri;

        var fromUrl = await (await new ReplicationRegistry().StartAsync(new CouchReplicationDoc
        {
            Source = inUrl, Target = server.NewDbUrl("target"), CreateTarget = true,
        })).Task.Completion.WaitAsync(Limit);
        var fromCredential = await (await new ReplicationRegistry().StartAsync(new CouchReplicationDoc
        {
            Source = new Uri(plain, sourceDb).AbsoluteUri, SourceCredential = new CouchCredential("odd-user", OddPassword),
            Target = server.NewDbUrl("target"), CreateTarget = true,
        })).Task.Completion.WaitAsync(Limit);

        Assert.Equal(5, fromUrl.DocsWritten);
        Assert.Equal(5, fromCredential.DocsWritten);
        Assert.DoesNotContain(Uri.EscapeDataString(OddPassword), fromUrl.Source);
        Assert.Contains("odd-user:*****@", fromUrl.Source);
    }

    [ServerFact]
    public async Task Credentials_do_not_follow_a_redirect_to_another_host()
    {
        var sourceDb = await SeedAsync();
        await using var elsewhere = new FaultProxy(server.Url);
        await using var redirecting = new FaultProxy(server.Url);
        redirecting.Faults = r => new Fault.Answer(301, "application/json", """{"error":"moved"}""", new Uri(new UriBuilder(elsewhere.Url) { UserName = "", Password = "" }.Uri, r.PathAndQuery.TrimStart('/')).AbsoluteUri);

        var error = await FailsAsync(new CouchReplicationDoc { Source = new Uri(redirecting.Url, sourceDb).AbsoluteUri, Target = server.NewDbUrl("target"), CreateTarget = true });

        Assert.Equal(301, error.StatusCode);
        Assert.Empty(elsewhere.Requests);
        Assert.DoesNotContain(CouchServer.AdminPassword, error.ToString());
    }

    [ServerFact(RequiresProgram = "tinyproxy")]
    public async Task Proxy_credentials_go_to_the_proxy_only()
    {
        var sourceDb = await SeedAsync();
        using var proxy = new TinyProxy();
        await using var recorder = new FaultProxy(server.Url);

        await (await new ReplicationRegistry().StartAsync(new CouchReplicationDoc
        {
            Source = new Uri(recorder.Url, sourceDb).AbsoluteUri, Target = server.NewDbUrl("target"), CreateTarget = true, SourceProxy = proxy.Url(),
        })).Task.Completion.WaitAsync(Limit);

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
        await using var tls = new TlsTerminator(server.Url);
        var targetDb = CouchServer.NewDbName("target");
        CouchReplicationDoc Doc() => new() { Source = new Uri(tls.Url, sourceDb).AbsoluteUri, Target = new Uri(server.Url, targetDb).AbsoluteUri, CreateTarget = true };

        var error = await FailsAsync(Doc());
        Assert.Equal(CouchErrorKind.Unreachable, error.Kind);
        Assert.Contains("TLS", error.Message);
        Assert.False(error.IsTransient);
        await AssertNotCreatedAsync(targetDb);

        var (task, _) = await new ReplicationRegistry().StartAsync(Doc(), skipCertificateCheck: true);
        var result = await task.Completion.WaitAsync(Limit);
        Assert.Equal(5, result.DocsWritten);
        Assert.True(task.TryTakeMessage(out var warning) && warning.IsWarning && warning.Text.Contains("not checked"));
    }
}

public sealed class BadInputOnPouchDb(PouchDbServer server) : BadInputTests<PouchDbServer>(server);

public sealed class BadInputOnCouchDb(CouchDbServer server) : BadInputTests<CouchDbServer>(server);
