using System.Net;
using CouchReplication.ServerMode;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// -Server mode against a server without <c>_scheduler</c>: pouchdb-server, whose replicator is
/// 1.x-style. What it cannot do (name or cancel a transient replication) must be said, not
/// reported as done.
/// </summary>
public sealed class ServerModeWithoutSchedulerOnPouchDb(PouchDbServer server) : ServerTests<PouchDbServer>(server)
{
    private CouchReplicationDoc ContinuousDoc(string sourceDb, string targetDb) => Doc(sourceDb, targetDb, d => d.Continuous = true);

    private static List<ReplicationMessage> Messages(ServerReplicator replicator)
    {
        var messages = new List<ReplicationMessage>();
        while (replicator.TryTakeMessage(out var message)) messages.Add(message);
        return messages;
    }

    [ServerFact]
    public async Task A_continuous_replication_it_names_no_id_for_is_said_to_be_unstoppable_and_is()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        var doc = ContinuousDoc(sourceDb, targetDb);
        using var replicator = ServerReplicator.Connect(Server.Url.AbsoluteUri);

        var started = await replicator.StartAsync(doc);

        Assert.Null(started.ReplicationId);
        Assert.Equal(CouchReplicationState.Running, started.State);
        Assert.Contains(Messages(replicator), m => m.IsWarning && m.Text.Contains("cannot be listed or cancelled"));
        var byDoc = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.StopAsync(doc));
        var byTask = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.StopAsync(started));
        Assert.Equal(CouchErrorKind.NotSupported, byDoc.Kind);
        Assert.Contains("still running", byDoc.Message);
        Assert.Equal(CouchErrorKind.NotSupported, byTask.Kind);
        // It is still running: a document written after the cancel arrives.
        await Client.PutDocAsync(sourceDb, "after-cancel", new Dictionary<string, object?>());
        await Eventually.HappensAsync(async () => await Client.StatusAsync($"{targetDb}/after-cancel") == HttpStatusCode.OK, "the document in the target");
    }

    [ServerFact]
    public async Task Persistent_replications_show_the_state_their_documents_record_and_the_listing_says_why()
    {
        var sourceDb = await NewDbAsync("source");
        var doc = ContinuousDoc(sourceDb, CouchServer.NewDbName("target"));
        using var replicator = ServerReplicator.Connect(Server.Url.AbsoluteUri);

        var started = await replicator.PersistAsync(doc);
        Assert.Null(replicator.ListingCaveat);

        // -Persistent returns at once: Pending until the server triggers the document, then Running.
        Assert.Contains(started.State, new CouchReplicationState?[] { CouchReplicationState.Pending, CouchReplicationState.Running });
        IReadOnlyList<CouchActiveTask> first = [];
        await Eventually.HappensAsync(async () =>
        {
            first = await replicator.ActiveTasksAsync(includeInactive: false);
            return first.Any(t => t.DocId == started.DocId && t.ReplicationId is not null && t.State == CouchReplicationState.Running);
        }, "the document's replication running, with its id");
        // The caller tells its user (the cmdlets once per session and server); the replicator says nothing itself.
        Assert.Contains("has no _scheduler", replicator.ListingCaveat);
        Assert.DoesNotContain(Messages(replicator), m => m.IsWarning);
        await replicator.StopAsync(first.Single(t => t.DocId == started.DocId));
    }
}
