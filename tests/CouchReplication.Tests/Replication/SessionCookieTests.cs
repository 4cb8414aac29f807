using System.Net;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Session cookies, as CouchDB's replicator authenticates: one <c>_session</c> login per server and
/// user, shared by every replication, the cookie on every other request; basic auth where the
/// server has no <c>_session</c> or when asked for. Watched through a recording proxy.
/// </summary>
public abstract class SessionAuthTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private Task<string> SeedAsync() => NewDbAsync("source", Enumerable.Range(0, 40).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D3}" }));

    protected static bool IsLogin(RecordedRequest r) => r.Method == "POST" && r.PathAndQuery.StartsWith("/_session", StringComparison.Ordinal);

    [ServerFact]
    public async Task A_password_logs_in_once_for_every_replication_and_each_other_request_carries_the_cookie()
    {
        var sourceDb = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);

        await ReplicateAsync(Doc(proxy, sourceDb, CouchServer.NewDbName("target"), d => d.WorkerBatchSize = 10));
        await ReplicateAsync(Doc(proxy, sourceDb, CouchServer.NewDbName("target")));

        var requests = proxy.Requests.ToList();
        Assert.Single(requests, IsLogin);
        var others = requests.Where(r => !IsLogin(r)).ToList();
        Assert.True(others.Count > 10, $"{others.Count} requests");
        Assert.All(others, r =>
        {
            Assert.Contains("AuthSession=", r.Headers.GetValueOrDefault("Cookie") ?? "");
            Assert.False(r.Headers.ContainsKey("Authorization"), $"{r.Method} {r.PathAndQuery} carries the password");
        });
    }

    [ServerFact]
    public async Task Authentication_Basic_sends_the_password_on_every_request_and_never_logs_in()
    {
        var sourceDb = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);

        await ReplicateAsync(Doc(proxy, sourceDb, CouchServer.NewDbName("target"), d => d.Authentication = CouchAuthentication.Basic));

        Assert.DoesNotContain(proxy.Requests, IsLogin);
        Assert.All(proxy.Requests, r => Assert.StartsWith("Basic ", r.Headers.GetValueOrDefault("Authorization") ?? ""));
    }

    [ServerFact]
    public async Task A_server_without_session_gets_the_password_on_every_request()
    {
        var sourceDb = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url)
        {
            Faults = r => IsLogin(r) ? new Fault.Answer(404, "application/json", """{"error":"not_found","reason":"missing"}""") : null,
        };

        await ReplicateAsync(Doc(proxy, sourceDb, CouchServer.NewDbName("target")));

        Assert.Single(proxy.Requests, IsLogin);
        Assert.All(proxy.Requests.Where(r => !IsLogin(r)), r => Assert.StartsWith("Basic ", r.Headers.GetValueOrDefault("Authorization") ?? ""));
    }

    [ServerFact]
    public async Task A_wrong_password_is_Unauthorized_at_the_login_and_shown_nowhere()
    {
        var sourceDb = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        var doc = Doc(proxy, sourceDb, CouchServer.NewDbName("target"));
        doc.Source = new UriBuilder(new Uri(proxy.Url, sourceDb)) { UserName = CouchServer.AdminUser, Password = "not-the-password" }.Uri.AbsoluteUri;

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(doc));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.Contains("_session", error.Message);
        Assert.DoesNotContain("not-the-password", error.ToString());
        Assert.DoesNotContain(proxy.Requests, r => r.Kind is "_changes" or "_bulk_docs");
    }
}

public sealed class SessionAuthOnPouchDb(PouchDbServer server) : SessionAuthTests<PouchDbServer>(server);

public sealed class SessionAuthOnCouchDb(CouchDbServer server) : SessionAuthTests<CouchDbServer>(server)
{
    [ServerFact]
    public async Task A_request_refused_with_a_cookie_some_seconds_old_logs_in_again_and_is_sent_again()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        await using var proxy = new FaultProxy(Server.Url);
        var task = (await new ReplicationRegistry().StartAsync(Doc(proxy, sourceDb, targetDb, d => d.Continuous = true))).Task;
        async Task ArrivesAsync(string id)
        {
            await Client.PutDocAsync(sourceDb, id, new Dictionary<string, object?>());
            await Eventually.HappensAsync(async () => await Client.StatusAsync($"{targetDb}/{id}") == HttpStatusCode.OK, $"{id} on the target");
        }
        await ArrivesAsync("before");
        // Older than the few seconds within which a refusal of a new cookie is taken as the answer.
        await Task.Delay(TimeSpan.FromSeconds(6));

        var refused = 0;
        proxy.Faults = r => r.Kind == "_revs_diff" && Interlocked.Exchange(ref refused, 1) == 0
            ? new Fault.Answer(401, "application/json", """{"error":"unauthorized","reason":"You are not authorized to access this db."}""")
            : null;
        await ArrivesAsync("after");

        Assert.Equal(1, refused);
        Assert.Equal(CouchReplicationState.Running, task.State);
        Assert.Equal(2, proxy.Requests.Count(IsLogin));
        task.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
    }

    [ServerFact]
    public async Task Cookies_that_expire_every_few_seconds_are_renewed_and_a_continuous_run_goes_on()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        await using var proxy = new FaultProxy(Server.Url);
        await Client.SetConfigAsync("chttpd_auth", "timeout", "3");
        try
        {
            var task = (await new ReplicationRegistry().StartAsync(Doc(proxy, sourceDb, targetDb, d => d.Continuous = true))).Task;
            for (var i = 0; i < 10; i++)
            {
                await Client.PutDocAsync(sourceDb, $"doc-{i:D2}", new Dictionary<string, object?> { ["n"] = i });
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            await Eventually.HappensAsync(async () => (await Client.StatusAsync(targetDb)) == HttpStatusCode.OK
                && (await Client.SnapshotAsync(sourceDb)).SequenceEqual(await Client.SnapshotAsync(targetDb)), "the target caught up");
            Assert.Equal(CouchReplicationState.Running, task.State);
            task.Stop();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));
            await NothingLost.AssertAsync(Client, sourceDb, targetDb);

            // Ten seconds of 3-second cookies: at least three different ones were used, and no request was refused.
            var cookies = proxy.Requests.Select(r => r.Headers.GetValueOrDefault("Cookie")).OfType<string>().Distinct().Count();
            Assert.True(cookies >= 3, $"{cookies} cookies in 10 s");
        }
        finally
        {
            await Client.SetConfigAsync("chttpd_auth", "timeout", "600");
        }
    }
}
