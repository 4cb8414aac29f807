using System.Net;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

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
