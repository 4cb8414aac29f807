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

/// <summary>
/// IBM Cloud IAM as Cloudant does it, on Apache CouchDB with its JWT handler: two databases only
/// one identity may use, an API key for it, and tests/server/iam-token.js exchanging the key for
/// short-lived tokens CouchDB verifies itself.
/// </summary>
public sealed class IamAuthOnCouchDb(CouchDbServer server) : ServerTests<CouchDbServer>(server)
{
    private const string Key = "test-api-key-7f3a9c", User = "iam-user";

    /// <summary>Two databases whose only member is <see cref="User"/>; the source with plain documents and a conflict.</summary>
    private async Task<(string SourceDb, string TargetDb)> ProtectedPairAsync()
    {
        var sourceDb = await NewDbAsync("source", Enumerable.Range(0, 30).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D3}", ["n"] = i }));
        await Client.BulkDocsAsync(sourceDb,
            [TestData.Revision("conflicted", [TestData.Rev(1, "a")]), TestData.Revision("conflicted", [TestData.Rev(1, "b")])], newEdits: false);
        var targetDb = await NewDbAsync("target");
        foreach (var db in new[] { sourceDb, targetDb }) await Client.SetMembersAsync(db, User);
        return (sourceDb, targetDb);
    }

    /// <summary>A replication with no password anywhere: the URLs without user info, the key for both ends.</summary>
    private CouchReplicationDoc KeyDoc(string sourceDb, string targetDb, IamTokenServer iam, Action<CouchReplicationDoc>? edit = null)
    {
        var doc = new CouchReplicationDoc
        {
            Source = WithoutUser(sourceDb),
            Target = WithoutUser(targetDb),
            SourceIamApiKey = new CouchIamApiKey(Key),
            TargetIamApiKey = new CouchIamApiKey(Key),
            IamTokenUrl = iam.Url.AbsoluteUri,
        };
        edit?.Invoke(doc);
        return doc;
    }

    private string WithoutUser(string db) => new UriBuilder(new Uri(Server.Url, db)) { UserName = "", Password = "" }.Uri.AbsoluteUri;

    [ServerFact]
    public async Task A_continuous_replication_runs_on_an_API_key_alone_through_several_token_lifetimes()
    {
        var (sourceDb, targetDb) = await ProtectedPairAsync();
        await using var iam = await IamTokenServer.StartAsync(TimeSpan.FromSeconds(3), new Dictionary<string, string> { [Key] = User });
        var task = (await new ReplicationRegistry().StartAsync(KeyDoc(sourceDb, targetDb, iam, d => d.Continuous = true))).Task;

        for (var i = 0; i < 10; i++)
        {
            await Client.PutDocAsync(sourceDb, $"later-{i:D2}", new Dictionary<string, object?> { ["n"] = i });
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        await Eventually.HappensAsync(async () => (await Client.SnapshotAsync(sourceDb)).SequenceEqual(await Client.SnapshotAsync(targetDb)), "the target caught up");
        Assert.Equal(CouchReplicationState.Running, task.State);
        task.Stop();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.GetResultAsync().WaitAsync(Limit));

        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
        var issued = await iam.IssuedAsync(User);
        Assert.True(issued >= 3, $"{issued} tokens in 10 s of 3-second tokens");
        Assert.Equal(0, task.ToActiveTask().DocWriteFailures);
    }

    [ServerFact]
    public async Task Without_the_key_the_databases_refuse()
    {
        var (sourceDb, targetDb) = await ProtectedPairAsync();
        await using var iam = await IamTokenServer.StartAsync(TimeSpan.FromMinutes(1), new Dictionary<string, string> { [Key] = User });
        var doc = KeyDoc(sourceDb, targetDb, iam, d => d.SourceIamApiKey = null);

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(doc));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
    }

    [ServerFact]
    public async Task A_revoked_key_is_Unauthorized_with_the_token_endpoint_s_reason_and_the_key_shown_nowhere()
    {
        var (sourceDb, targetDb) = await ProtectedPairAsync();
        await using var iam = await IamTokenServer.StartAsync(TimeSpan.FromMinutes(1), new Dictionary<string, string> { [Key] = User });
        await iam.RevokeAsync(Key);

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(KeyDoc(sourceDb, targetDb, iam)));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.Contains("Provided API key could not be found", error.Message);
        Assert.DoesNotContain(Key, error.ToString());
        Assert.Empty(await Client.AllIdsAsync(targetDb));
    }

    [ServerFact]
    public async Task An_unreachable_token_endpoint_is_Unreachable()
    {
        var (sourceDb, targetDb) = await ProtectedPairAsync();
        var doc = new CouchReplicationDoc
        {
            Source = WithoutUser(sourceDb),
            Target = WithoutUser(targetDb),
            SourceIamApiKey = new CouchIamApiKey(Key),
            IamTokenUrl = $"http://127.0.0.1:{CouchServer.FreePort()}",
            RetriesPerRequest = 0,
        };

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(doc));

        Assert.Equal(CouchErrorKind.Unreachable, error.Kind);
        Assert.Contains("/identity/token", error.Message);
    }
}
