using System.Net;
using CouchReplication.ServerMode;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// -Server mode against a real server: the server's own replicator started, watched and stopped
/// through <see cref="ServerReplicator"/>. The server replicates between its own databases, so
/// the documents name them by the URL it listens on, with the admin's credentials.
/// </summary>
public abstract class ServerModeTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const string WrongPassword = "not-the-password";

    private ServerReplicator Connect() => ServerReplicator.Connect(Server.Url.AbsoluteUri);

    private Task<string> SourceAsync(int docs) =>
        NewDbAsync("source", Enumerable.Range(0, docs).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D5}", ["n"] = i }));

    /// <summary>The base's document with continuous always set, as the server is sent it.</summary>
    private CouchReplicationDoc Doc(string sourceDb, string targetDb, bool continuous = false) => Doc(sourceDb, targetDb, d => d.Continuous = continuous);

    private static List<ReplicationMessage> Messages(ServerReplicator replicator)
    {
        var messages = new List<ReplicationMessage>();
        while (replicator.TryTakeMessage(out var message)) messages.Add(message);
        return messages;
    }

    private static string Shown(CouchReplicationException error, ServerReplicator replicator) =>
        error + "\n" + error.Reason + "\n" + error.Url + "\n" + string.Join("\n", Messages(replicator).Select(m => m.Text));

    private async Task<bool> ExistsAsync(string path) => await Client.StatusAsync(path) == HttpStatusCode.OK;

    /// <summary>Waits until the server lists a task that matches, and returns it.</summary>
    private static async Task<CouchActiveTask> ListedAsync(ServerReplicator replicator, bool includeInactive, Func<CouchActiveTask, bool> match, string what)
    {
        CouchActiveTask? listed = null;
        await Eventually.HappensAsync(async () => (listed = (await replicator.ActiveTasksAsync(includeInactive)).FirstOrDefault(match)) is not null, what);
        return listed!;
    }

    [ServerFact]
    public async Task A_one_shot_replication_runs_on_the_server_and_every_revision_tree_arrives()
    {
        var sourceDb = await NewDbAsync("source");
        await TestData.SeedEverythingAsync(Client, sourceDb);
        var targetDb = CouchServer.NewDbName("target");
        using var replicator = Connect();

        var first = await replicator.ReplicateAsync(Doc(sourceDb, targetDb));
        var second = await replicator.ReplicateAsync(Doc(sourceDb, targetDb));

        Assert.True(first.Ok);
        Assert.False(first.NoChanges);
        Assert.True(first.DocsWritten > 0);
        Assert.Equal(await Client.SnapshotAsync(sourceDb), await Client.SnapshotAsync(targetDb));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, first.Failures);
        Assert.Contains(Messages(replicator), m => m.Text.StartsWith($"POST {replicator.Server}_replicate", StringComparison.Ordinal));
        Assert.True(second.NoChanges);
        Assert.Equal(0, second.DocsWritten);
        Assert.Equal(first.SourceLastSeq, second.SourceLastSeq);
    }

    [ServerFact(CouchDbOnly = "a replication log in the answer (pouchdb-server answers with this run's counters only)")]
    public async Task The_servers_replication_log_becomes_the_result()
    {
        var sourceDb = await SourceAsync(7);
        using var replicator = Connect();

        var result = await replicator.ReplicateAsync(Doc(sourceDb, CouchServer.NewDbName("target")));

        Assert.Matches("^[0-9a-f]{32}$", result.SessionId);
        Assert.Equal(result.SessionId, result.History[0].SessionId);
        Assert.Equal(7, result.History[0].DocsWritten);
        Assert.Equal(7, result.History[0].MissingChecked);
        Assert.Equal(result.SourceLastSeq, result.History[0].RecordedSeq);
        Assert.Equal("", result.ReplicationId);
    }

    [ServerFact]
    public async Task Endpoint_credentials_reach_the_server_and_show_nowhere()
    {
        var sourceDb = await SourceAsync(5);
        var targetDb = CouchServer.NewDbName("target");
        var plain = new UriBuilder(Server.Url) { UserName = "", Password = "" }.Uri;
        var admin = new CouchCredential(CouchServer.AdminUser, CouchServer.AdminPassword);
        using var replicator = ServerReplicator.Connect(plain.AbsoluteUri, admin);

        var result = await replicator.ReplicateAsync(new CouchReplicationDoc
        {
            Source = new Uri(plain, sourceDb).AbsoluteUri,
            Target = new Uri(plain, targetDb).AbsoluteUri,
            SourceCredential = admin,
            TargetCredential = admin,
            CreateTarget = true,
        });

        Assert.Equal(5, result.DocsWritten);
        Assert.Equal(5, (await Client.AllIdsAsync(targetDb)).Count);
        var shown = string.Join("\n", Messages(replicator).Select(m => m.Text)) + result + result.Source + result.Target + replicator.Server;
        Assert.Contains("_replicate", shown);
        Assert.DoesNotContain(CouchServer.AdminPassword, shown);
    }

    [ServerFact]
    public async Task A_wrong_server_password_is_Unauthorized_and_shows_nowhere()
    {
        var sourceDb = await SourceAsync(1);
        var targetDb = CouchServer.NewDbName("target");
        using var replicator = ServerReplicator.Connect(new UriBuilder(Server.Url) { Password = WrongPassword }.Uri.AbsoluteUri);

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(Doc(sourceDb, targetDb)));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.Equal("CouchReplication.Unauthorized", error.ErrorId);
        Assert.DoesNotContain(WrongPassword, Shown(error, replicator));
        Assert.False(await ExistsAsync(targetDb));
    }

    [ServerFact]
    public async Task A_wrong_endpoint_password_is_Unauthorized_as_in_the_engine()
    {
        var sourceDb = await SourceAsync(1);
        using var replicator = Connect();
        var doc = Doc(sourceDb, CouchServer.NewDbName("target"));
        doc.Source = new UriBuilder(Url(sourceDb)) { Password = WrongPassword }.Uri.AbsoluteUri;

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(doc));

        Assert.Equal(CouchErrorKind.Unauthorized, error.Kind);
        Assert.False(error.IsTransient);
        Assert.DoesNotContain(WrongPassword, Shown(error, replicator));
    }

    [ServerFact]
    public async Task An_endpoint_the_server_cannot_reach_is_Unreachable_and_its_password_shows_nowhere()
    {
        using var replicator = Connect();
        var doc = Doc("unused", CouchServer.NewDbName("target"));
        doc.Source = $"http://{CouchServer.AdminUser}:{CouchServer.AdminPassword}@127.0.0.1:1/nowhere";

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(doc));

        Assert.Equal(CouchErrorKind.Unreachable, error.Kind);
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.DoesNotContain(CouchServer.AdminPassword, Shown(error, replicator));
    }

    [ServerFact]
    public async Task A_persistent_replication_is_a_replicator_document_and_stopping_deletes_it()
    {
        var sourceDb = await SourceAsync(3);
        var targetDb = CouchServer.NewDbName("target");
        var doc = Doc(sourceDb, targetDb, continuous: true);
        doc.Id = "persistent-" + Guid.NewGuid().ToString("N");
        using var replicator = Connect();

        var started = await replicator.PersistAsync(doc);

        Assert.Equal(doc.Id, started.DocId);
        Assert.Equal("_replicator", started.Database);
        // Returned at once, without waiting for a job.
        Assert.Contains(started.State, new[] { CouchReplicationState.Pending, CouchReplicationState.Running });
        Assert.True(started.Continuous);
        Assert.True(await ExistsAsync($"_replicator/{doc.Id}"));
        await Client.PutDocAsync(sourceDb, "later", new Dictionary<string, object?>());
        await Eventually.HappensAsync(() => ExistsAsync($"{targetDb}/later"), "a document written later in the target");
        var listed = await ListedAsync(replicator, includeInactive: false, t => t.DocId == doc.Id && t.State == CouchReplicationState.Running, "the replication running");
        Assert.DoesNotContain(CouchServer.AdminPassword, listed.Source + listed.Target + string.Join(",", listed.AdditionalFields.Values));

        var stopped = await replicator.StopAsync(listed);

        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.False(await ExistsAsync($"_replicator/{doc.Id}"));
        await Eventually.HappensAsync(async () => !(await replicator.ActiveTasksAsync(includeInactive: true)).Any(t => t.DocId == doc.Id),
            "the replication gone from the server's tasks");
    }

    [ServerFact]
    public async Task A_finished_persistent_replication_under_a_new_id_is_listed_only_among_the_inactive()
    {
        var sourceDb = await SourceAsync(4);
        var targetDb = CouchServer.NewDbName("target");
        using var replicator = Connect();

        var started = await replicator.PersistAsync(Doc(sourceDb, targetDb));

        Assert.Matches("^[0-9a-f]{32}$", started.DocId);
        Assert.False(started.Continuous);
        await ListedAsync(replicator, includeInactive: true, t => t.DocId == started.DocId && t.State == CouchReplicationState.Completed, "the replication completed");
        Assert.DoesNotContain(await replicator.ActiveTasksAsync(includeInactive: false), t => t.DocId == started.DocId);
        Assert.Equal(4, (await Client.AllIdsAsync(targetDb)).Count);
    }

    [ServerFact]
    public async Task A_user_who_is_no_admin_can_neither_persist_replications_nor_list_the_servers_tasks()
    {
        var user = "user" + Guid.NewGuid().ToString("N")[..8];
        await Client.CreateUserAsync(user, "their-password");
        var plain = new UriBuilder(Server.Url) { UserName = "", Password = "" }.Uri.AbsoluteUri;
        using var replicator = ServerReplicator.Connect(plain, new CouchCredential(user, "their-password"));

        var persist = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            replicator.PersistAsync(Doc(CouchServer.NewDbName("source"), CouchServer.NewDbName("target"))));
        var list = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ActiveTasksAsync(includeInactive: false));

        Assert.Equal(CouchErrorKind.Forbidden, persist.Kind);
        Assert.Equal(403, persist.StatusCode);
        Assert.Equal(CouchErrorKind.Unauthorized, list.Kind);
        Assert.Contains("admin", list.Message);
    }

    [ServerFact(CouchDbOnly = "_scheduler and replication ids for _replicate")]
    public async Task A_continuous_replication_carries_the_servers_replication_id_until_it_is_cancelled()
    {
        var sourceDb = await SourceAsync(3);
        using var replicator = Connect();

        var started = await replicator.StartAsync(Doc(sourceDb, CouchServer.NewDbName("target"), continuous: true));

        Assert.Matches("^[0-9a-f]{32}\\+continuous\\+create_target$", started.ReplicationId);
        Assert.Contains(started.State, new[] { CouchReplicationState.Running, CouchReplicationState.Pending });
        var listed = await ListedAsync(replicator, includeInactive: false, t => t.ReplicationId == started.ReplicationId && t.DocsWritten == 3, "three documents written");
        Assert.Equal(CouchReplicationState.Running, listed.State);
        Assert.Equal(CouchServer.AdminUser, listed.User);
        Assert.True(listed.Continuous);
        Assert.Null(listed.DocId);
        Assert.NotNull(listed.StartedOn);
        Assert.NotNull(listed.Node);
        Assert.Equal(new[] { listed.Node }, listed.Nodes);

        var stopped = await replicator.StopAsync(listed);

        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.DoesNotContain(await replicator.ActiveTasksAsync(includeInactive: true), t => t.ReplicationId == started.ReplicationId);
        var again = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.StopAsync(listed));
        Assert.Equal(CouchErrorKind.NotFound, again.Kind);
    }

    [ServerFact(CouchDbOnly = "a _replicate cancel that stops the replication")]
    public async Task The_document_that_started_a_replication_cancels_it()
    {
        var doc = Doc(await SourceAsync(1), CouchServer.NewDbName("target"), continuous: true);
        using var replicator = Connect();
        var started = await replicator.StartAsync(doc);

        var stopped = await replicator.StopAsync(doc);

        Assert.Equal(started.ReplicationId, stopped.ReplicationId);
        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.DoesNotContain(await replicator.ActiveTasksAsync(includeInactive: true), t => t.ReplicationId == started.ReplicationId);
    }

    [ServerFact(CouchDbOnly = "user_ctx shown in _active_tasks")]
    public async Task A_persistent_replication_runs_as_its_user_ctx()
    {
        var doc = Doc(await SourceAsync(1), CouchServer.NewDbName("target"), continuous: true);
        doc.UserCtx = new Dictionary<string, object?> { ["name"] = "ctx-user", ["roles"] = new[] { "_admin" } };
        using var replicator = Connect();

        var started = await replicator.PersistAsync(doc);

        await ListedAsync(replicator, includeInactive: false, t => t.DocId == started.DocId && t.User == "ctx-user", "the replication running as ctx-user");
        using var stored = await Client.GetJsonAsync($"_replicator/{started.DocId}");
        Assert.Equal("ctx-user", stored.RootElement.GetProperty("user_ctx").GetProperty("name").GetString());
        await replicator.StopAsync(started);
    }

    [ServerFact(CouchDbOnly = "_scheduler states")]
    public async Task A_crashing_persistent_replication_shows_the_schedulers_state_and_reason()
    {
        var doc = Doc(CouchServer.NewDbName("absent"), CouchServer.NewDbName("target"));
        using var replicator = Connect();

        var started = await replicator.PersistAsync(doc);

        var listed = await ListedAsync(replicator, includeInactive: false, t => t.DocId == started.DocId && t.State == CouchReplicationState.Crashing, "the replication crashing");
        Assert.Contains("db_not_found", listed.Error);
        await replicator.StopAsync(listed);
    }

    [ServerFact(CouchDbOnly = "_scheduler states")]
    public async Task A_replication_document_in_error_is_listed_only_among_the_inactive_with_the_reason()
    {
        var doc = Doc(await SourceAsync(1), CouchServer.NewDbName("target"));
        doc.Filter = "missing/filter";
        using var replicator = Connect();

        var started = await replicator.PersistAsync(doc);

        var listed = await ListedAsync(replicator, includeInactive: true, t => t.DocId == started.DocId && t.State == CouchReplicationState.Error, "the document in error");
        Assert.Contains("_design/missing", listed.Error);
        Assert.DoesNotContain(await replicator.ActiveTasksAsync(includeInactive: false), t => t.DocId == started.DocId);
    }

    [ServerFact(CouchDbOnly = "long scheduler lists (pouchdb-server has no _scheduler)")]
    public async Task Long_scheduler_lists_are_read_page_by_page()
    {
        using var replicator = Connect();
        replicator.PageSize = 2;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // Jobs that keep crashing, and documents in error that have no job.
            ids.Add((await replicator.PersistAsync(Doc(CouchServer.NewDbName("absent"), CouchServer.NewDbName("target")))).DocId!);
            var invalid = Doc("a", "b");
            invalid.Filter = "missing/filter";
            ids.Add((await replicator.PersistAsync(invalid)).DocId!);
        }

        await Eventually.HappensAsync(async () => (await replicator.ActiveTasksAsync(includeInactive: true))
            .Count(t => ids.Contains(t.DocId!) && t.State is CouchReplicationState.Crashing or CouchReplicationState.Error) == 6, "all six listed");
        Assert.Equal(3, (await replicator.ActiveTasksAsync(includeInactive: false)).Count(t => ids.Contains(t.DocId!)));
    }

    [ServerFact(CouchDbOnly = "db_not_found for missing databases (pouchdb-server creates them)")]
    public async Task Missing_databases_are_DbNotFound()
    {
        using var replicator = Connect();

        var missingSource = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            replicator.ReplicateAsync(Doc(CouchServer.NewDbName("absent"), CouchServer.NewDbName("target"))));
        var noTarget = Doc(await SourceAsync(1), CouchServer.NewDbName("absent"));
        noTarget.CreateTarget = null;
        var missingTarget = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(noTarget));

        Assert.Equal(CouchErrorKind.DbNotFound, missingSource.Kind);
        Assert.Equal("CouchReplication.DbNotFound", missingSource.ErrorId);
        Assert.False(missingSource.IsTransient);
        Assert.Equal(CouchErrorKind.DbNotFound, missingTarget.Kind);
    }

    [ServerFact(CouchDbOnly = "an answer for a missing filter (pouchdb-server crashes on one)")]
    public async Task A_missing_filter_is_FilterNotFound()
    {
        var doc = Doc(await SourceAsync(1), CouchServer.NewDbName("target"));
        doc.Filter = "missing/filter";
        using var replicator = Connect();

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(doc));

        Assert.Equal(CouchErrorKind.FilterNotFound, error.Kind);
    }

    [ServerFact(CouchDbOnly = "indexer tasks in _active_tasks")]
    public async Task Other_task_types_are_listed_with_their_own_fields()
    {
        var db = await SourceAsync(5000);
        // A slow map function keeps the indexer busy for seconds.
        await Client.PutDocAsync(db, "_design/slow", new Dictionary<string, object?>
        {
            ["views"] = new Dictionary<string, object?>
            {
                ["by_n"] = new Dictionary<string, object?> { ["map"] = "function (doc) { var t = Date.now(); while (Date.now() - t < 2) {} emit(doc.n); }" },
            },
        });
        var build = Client.GetJsonAsync($"{db}/_design/slow/_view/by_n?limit=1");
        using var replicator = Connect();

        var indexer = await ListedAsync(replicator, includeInactive: false, t => t.Type == "indexer" && t.Database == db, "the indexer in _active_tasks");

        Assert.Equal("_design/slow", indexer.AdditionalFields["design_document"]);
        Assert.True(indexer.AdditionalFields.ContainsKey("changes_done"));
        Assert.InRange(indexer.Progress ?? -1, 0, 100);
        Assert.Null(indexer.ReplicationId);
        Assert.Equal(CouchReplicationState.Running, indexer.State);
        (await build).Dispose();
    }

    [ServerFact(CouchDbOnly = "_scheduler/jobs, to see the one-shot job")]
    public async Task Cancelling_the_wait_for_a_one_shot_replication_cancels_it_on_the_server()
    {
        const int total = 5000;
        var sourceDb = await SourceAsync(total);
        var targetDb = CouchServer.NewDbName("target");
        var doc = Doc(sourceDb, targetDb);
        doc.WorkerBatchSize = 5;
        doc.WorkerProcesses = 1;
        using var replicator = Connect();
        using var watcher = Connect();
        using var cancel = new CancellationTokenSource();

        var run = replicator.ReplicateAsync(doc, cancel.Token);
        var jobId = (await ListedAsync(watcher, includeInactive: false, t => t.Target?.Contains(targetDb) == true, "the one-shot job on the server")).ReplicationId;
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Contains(Messages(replicator), m => m.Text.StartsWith("Cancelled " + jobId, StringComparison.Ordinal));
        Assert.DoesNotContain(await watcher.ActiveTasksAsync(includeInactive: true), t => t.ReplicationId == jobId);
        using var target = await Client.GetJsonAsync(targetDb);
        Assert.True(target.RootElement.GetProperty("doc_count").GetInt64() < total, "the replication went on to the end");
    }
}

public sealed class ServerModeOnPouchDb(PouchDbServer server) : ServerModeTests<PouchDbServer>(server);

public sealed class ServerModeOnCouchDb(CouchDbServer server) : ServerModeTests<CouchDbServer>(server);

public sealed class ServerModeOnExternalServer(ExternalServer server) : ServerModeTests<ExternalServer>(server);
