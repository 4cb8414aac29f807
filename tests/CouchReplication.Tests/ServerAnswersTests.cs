using System.Text;
using System.Text.Json;
using CouchReplication.ServerMode;

namespace CouchReplication.Tests;

/// <summary>
/// How the server's answers become results, tasks, states and errors, and how documents are
/// shaped for it. The JSON is what Apache CouchDB 3.5.0 and pouchdb-server 4.2.0 answered (ids
/// and sequences shortened); the same paths run against those servers in ServerModeTests.
/// </summary>
public sealed class ServerAnswersTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    private static readonly ServerInfo CouchDb3 = ServerInfo.Read(Json("""{"couchdb":"Welcome","version":"3.5.0","features":["quickjs","scheduler"]}"""));

    private static readonly ServerInfo PouchDbServer = ServerInfo.Read(Json("""{"express-pouchdb":"Welcome!","version":"4.2.0","vendor":{"name":"PouchDB authors"}}"""));

    private static string BodyOf(ReplicateRequest request, ServerInfo server, bool cancel = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) request.Body(ServerDialect.Of(server, "http://server/"), cancel)(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static CouchReplicationDoc Doc() => new()
    {
        Id = "nightly",
        Source = "http://ann:p%40ss%3Aw%2Frd@db1.example.com/orders",
        Target = "https://db2.example.com/orders",
        TargetCredential = new CouchCredential("bob", "bobs-secret"),
        TargetHeaders = new Dictionary<string, string> { ["X-Tenant"] = "7" },
        CreateTarget = true,
    };

    [Fact]
    public void The_server_learns_whether_it_has_a_scheduler_from_its_welcome()
    {
        Assert.Equal(new ServerInfo("CouchDB 3.5.0", true), CouchDb3);
        Assert.Equal(new ServerInfo("pouchdb-server 4.2.0", false), PouchDbServer);
    }

    [Fact]
    public void A_scheduler_server_gets_the_passwords_as_basic_auth_and_an_older_one_in_the_url()
    {
        var request = ReplicateRequest.From(Doc());

        var modern = Json(BodyOf(request, CouchDb3));
        var legacy = Json(BodyOf(request, PouchDbServer, cancel: true));

        Assert.False(modern.TryGetProperty("_id", out _));
        Assert.Equal("http://db1.example.com/orders", modern.GetProperty("source").GetProperty("url").GetString());
        Assert.Equal("p@ss:w/rd", modern.GetProperty("source").GetProperty("auth").GetProperty("basic").GetProperty("password").GetString());
        Assert.Equal("bobs-secret", modern.GetProperty("target").GetProperty("auth").GetProperty("basic").GetProperty("password").GetString());
        Assert.False(modern.TryGetProperty("cancel", out _));
        Assert.Equal("http://ann:p%40ss%3Aw%2Frd@db1.example.com/orders", legacy.GetProperty("source").GetString());
        Assert.Equal("https://bob:bobs-secret@db2.example.com/orders", legacy.GetProperty("target").GetProperty("url").GetString());
        Assert.Equal("7", legacy.GetProperty("target").GetProperty("headers").GetProperty("X-Tenant").GetString());
        Assert.True(legacy.GetProperty("cancel").GetBoolean());
        Assert.Equal("http://ann:*****@db1.example.com/orders/ -> https://bob:*****@db2.example.com/orders/", request.ToString());
    }

    [Fact]
    public void An_IAM_key_goes_to_the_server_in_Cloudant_s_form_for_its_replicator_to_exchange()
    {
        var doc = CouchReplicationDoc.FromJson("""
            {"source": {"url": "https://acct.cloudant.com/a", "auth": {"ibm": {"iam": {"api_key": "k-1"}}}}, "target": "https://acct.cloudant.com/b"}
            """);
        doc.TargetIamApiKey = new CouchIamApiKey("k-2");

        var body = Json(BodyOf(ReplicateRequest.From(doc), CouchDb3));

        Assert.Equal("k-1", body.GetProperty("source").GetProperty("auth").GetProperty("iam").GetProperty("api_key").GetString());
        Assert.Equal("k-2", body.GetProperty("target").GetProperty("auth").GetProperty("iam").GetProperty("api_key").GetString());
        Assert.Equal("https://acct.cloudant.com/a", body.GetProperty("source").GetProperty("url").GetString());
    }

    [Fact]
    public async Task Documents_are_checked_before_anything_is_sent()
    {
        // Nothing listens on port 1: a request would fail as Unreachable, not InvalidArgument.
        using var replicator = ServerReplicator.Connect("http://127.0.0.1:1/");
        var noDatabase = new CouchReplicationDoc { Source = "http://127.0.0.1:1/", Target = "http://127.0.0.1:1/b" };
        var continuous = new CouchReplicationDoc { Source = "http://127.0.0.1:1/a", Target = "http://127.0.0.1:1/b", Continuous = true };
        var oneShot = new CouchReplicationDoc { Source = "http://127.0.0.1:1/a", Target = "http://127.0.0.1:1/b" };

        var errors = new[]
        {
            await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.PersistAsync(noDatabase)),
            await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.ReplicateAsync(continuous)),
            await Assert.ThrowsAsync<CouchReplicationException>(() => replicator.StartAsync(oneShot)),
            Assert.Throws<CouchReplicationException>(() => ServerReplicator.Connect("ftp://user:pw@host/")),
        };

        Assert.All(errors, e => Assert.Equal(CouchErrorKind.InvalidArgument, e.Kind));
        Assert.DoesNotContain("pw@", errors[3].Message);
        Assert.False(replicator.TryTakeMessage(out _));
    }

    [Fact]
    public void CouchDBs_answer_with_no_changes_counts_nothing_for_this_run()
    {
        var request = ReplicateRequest.From(new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b" });
        var answer = Json("""
            {"ok":true,"no_changes":true,"session_id":"578d9f","source_last_seq":"2-g1AAAA","replication_id_version":4,
             "history":[{"session_id":"578d9f","start_time":"Sun, 22 Nov 2026 03:21:40 GMT","end_time":"Sun, 22 Nov 2026 03:21:40 GMT",
               "start_last_seq":0,"end_last_seq":"2-g1AAAA","recorded_seq":"2-g1AAAA","missing_checked":2,"missing_found":2,
               "docs_read":2,"docs_written":2,"doc_write_failures":0}]}
            """);

        var result = ReplicateAnswer.ToResult(answer, request);

        Assert.True(result.Ok);
        Assert.True(result.NoChanges);
        Assert.Equal("2-g1AAAA", result.SourceLastSeq);
        Assert.Equal(2, result.History[0].DocsWritten);
        Assert.Equal(0, result.DocsWritten);
        Assert.Equal("http://h/a/", result.Source);
    }

    [Fact]
    public void PouchDBs_answer_of_counters_becomes_this_runs_history_entry()
    {
        var request = ReplicateRequest.From(new CouchReplicationDoc { Source = "http://h/a", Target = "http://h/b" });
        var answer = Json("""
            {"ok":true,"start_time":"2026-11-22T03:22:47.566Z","docs_read":2,"docs_written":2,"doc_write_failures":0,
             "errors":[],"last_seq":2,"status":"complete","end_time":"2026-11-22T03:22:47.623Z","history":[]}
            """);

        var result = ReplicateAnswer.ToResult(answer, request);

        Assert.False(result.NoChanges);
        Assert.Equal("2", result.SourceLastSeq);
        Assert.Equal(2, result.DocsWritten);
        Assert.Equal("2", Assert.Single(result.History).RecordedSeq);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 3, 22, 47, 566, TimeSpan.Zero), result.History[0].StartTime);
    }

    [Fact]
    public void An_active_task_of_any_type_keeps_its_fields_and_names_its_database_not_its_shard()
    {
        var indexer = ActiveTaskJson.Read(Json("""
            {"node":"couch@127.0.0.1","pid":"<0.2.0>","changes_done":1250,"database":"shards/00000000-7fffffff/orders.1795317689",
             "design_document":"_design/slow","indexer_pid":"<0.3.0>","progress":45,"started_on":1795317700,"total_changes":2500,
             "type":"indexer","updated_on":1795317705}
            """));
        var replication = ActiveTaskJson.Read(Json("""
            {"node":"couch@127.0.0.1","pid":"<0.1.0>","process_status":"waiting","changes_pending":null,"checkpoint_interval":30000,
             "checkpointed_source_seq":"0","continuous":true,"database":"shards/80000000-ffffffff/_replicator.1795317689","doc_id":"rep1",
             "doc_write_failures":0,"docs_read":2,"docs_written":2,"missing_revisions_found":2,"replication_id":"1a84+continuous",
             "revisions_checked":2,"source":"http://ann:pw@h/src/","source_seq":"2-g1","started_on":1795317718,"target":"http://h/tgt/",
             "through_seq":"2-g1","type":"replication","updated_on":1795317718,"user":null,"note":"from http://ann:pw@h/"}
            """));

        Assert.Equal("indexer", indexer.Type);
        Assert.Equal("orders", indexer.Database);
        Assert.Equal(45, indexer.Progress);
        Assert.Equal<object?>(1250L, indexer.AdditionalFields["changes_done"]);
        Assert.Equal("_design/slow", indexer.AdditionalFields["design_document"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795317700), indexer.StartedOn);
        Assert.Equal("_replicator", replication.Database);
        Assert.Equal("rep1", replication.DocId);
        Assert.Equal("2-g1", replication.ThroughSeq);
        Assert.Equal(30000, replication.CheckpointInterval);
        Assert.Equal("waiting", replication.AdditionalFields["process_status"]);
        Assert.Equal("http://ann:*****@h/src/", replication.Source);
        Assert.Equal("from http://ann:*****@h/", replication.AdditionalFields["note"]);
        Assert.False(replication.AdditionalFields.ContainsKey("database"));
    }

    [Fact]
    public void A_jobs_state_is_its_newest_event_and_a_documents_state_its_own()
    {
        var crashed = SchedulerJobs.ReadJob(Json("""
            {"database":"_replicator","id":"009f+create_target","pid":null,"source":"http://h/nosuch/","target":"http://h/t/","user":null,
             "doc_id":"rep2","info":null,"history":[{"timestamp":"2026-11-22T03:21:58Z","type":"crashed","reason":"db_not_found: could not open http://h/nosuch/"},
             {"timestamp":"2026-11-22T03:21:58Z","type":"started"},{"timestamp":"2026-11-22T03:21:58Z","type":"added"}],"node":"n","start_time":"2026-11-22T03:21:58Z"}
            """));
        var added = SchedulerJobs.ReadJob(Json("""{"id":"3dd9+continuous","history":[{"timestamp":"2026-11-22T03:21:49Z","type":"added"}]}"""));
        var started = SchedulerJobs.ReadJob(Json("""
            {"id":"3dd9+continuous","info":{"docs_written":2,"source_seq":"2-g1"},"history":[{"timestamp":"2026-11-22T03:21:49Z","type":"started"}]}
            """));
        var error = SchedulerJobs.ReadDoc(Json("""
            {"database":"_replicator","doc_id":"r10","id":null,"state":"error","info":{"error":"Couldn't open document `_design/nope`"},"error_count":1}
            """));
        var untouched = SchedulerJobs.ReadDoc(Json("""{"doc_id":"r11","database":"_replicator","id":null,"state":null,"error_count":0,"info":null}"""));

        Assert.Equal((CouchReplicationState.Crashing, "db_not_found: could not open http://h/nosuch/"), (crashed.State, crashed.Error));
        Assert.Equal("rep2", crashed.DocId);
        Assert.IsType<object[]>(crashed.AdditionalFields["history"]);
        Assert.Equal(CouchReplicationState.Pending, added.State);
        Assert.True(added.Continuous);
        Assert.Equal((CouchReplicationState.Running, 2L, "2-g1"), (started.State, started.DocsWritten, started.SourceSeq));
        Assert.Equal((CouchReplicationState.Error, "Couldn't open document `_design/nope`"), (error.State, error.Error));
        Assert.Equal(CouchReplicationState.Initializing, untouched.State);
    }

    [Fact]
    public void The_scheduler_says_the_state_of_active_tasks_and_adds_what_is_not_running()
    {
        var running = new CouchActiveTask { ReplicationId = "a+continuous", State = CouchReplicationState.Running, DocsWritten = 9, DocId = "doc-a", Database = "_replicator", Node = "n1" };
        var indexer = new CouchActiveTask { Type = "indexer", Database = "orders" };
        var jobs = new[]
        {
            // After a node rejoins a cluster, a crashed copy of a job may be listed first.
            new CouchActiveTask { ReplicationId = "a+continuous", State = CouchReplicationState.Crashing, Error = "crashed: a", DocId = "doc-a", Database = "_replicator", Node = "n2" },
            new CouchActiveTask { ReplicationId = "a+continuous", State = CouchReplicationState.Running, DocsWritten = 5, DocId = "doc-a", Database = "_replicator", Node = "n1" },
            new CouchActiveTask { ReplicationId = "b", State = CouchReplicationState.Crashing, Error = "crashed: b", DocId = "doc-b", Database = "_replicator" },
            new CouchActiveTask { ReplicationId = "c+continuous", State = CouchReplicationState.Pending },
        };
        var docs = new[]
        {
            new CouchActiveTask { ReplicationId = "a+continuous", State = CouchReplicationState.Running, DocId = "doc-a", Database = "_replicator" },
            new CouchActiveTask { State = CouchReplicationState.Crashing, Error = "db_not_found: b", DocId = "doc-b", Database = "_replicator" },
            new CouchActiveTask { State = CouchReplicationState.Completed, DocId = "doc-d", Database = "_replicator" },
        };
        // The _replicator database: doc-e's node has just left, so the scheduler lists nothing for it.
        var stored = new[] { "doc-a", "doc-b", "doc-d", "doc-e" }
            .Select(id => new CouchActiveTask { State = CouchReplicationState.Initializing, DocId = id, Database = "_replicator" }).ToList();
        stored[2] = stored[2] with { State = CouchReplicationState.Completed };

        var active = SchedulerJobs.Merge([running, indexer], jobs, docs, stored, includeInactive: false);
        var all = SchedulerJobs.Merge([running, indexer], jobs, docs, stored, includeInactive: true);

        Assert.Equal(new[] { "a+continuous", null, "b", "c+continuous", null }, active.Select(t => t.ReplicationId));
        Assert.Equal((9L, CouchReplicationState.Running, null, "n1"), (active[0].DocsWritten, active[0].State, active[0].Error, active[0].Node));
        Assert.Equal(new[] { "n1", "n2" }, active[0].Nodes);
        Assert.Equal((CouchReplicationState.Crashing, "db_not_found: b"), (active[2].State, active[2].Error));
        Assert.Equal(CouchReplicationState.Pending, active[3].State);
        Assert.Equal((CouchReplicationState.Pending, "doc-e"), (active[4].State, active[4].DocId));
        Assert.Equal(6, all.Count);
        Assert.Equal((CouchReplicationState.Completed, "doc-d"), (all[4].State, all[4].DocId));
        Assert.Equal("doc-e", all[5].DocId);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5984", false, "http://127.0.0.1:5984/")]
    [InlineData("http://127.0.0.1:5984/", true, "http://127.0.0.1:5984/")]
    [InlineData("http://ann:secret@127.0.0.1:5984/", false, "http://ann:*****@127.0.0.1:5984/")]
    [InlineData("http://ann:secret@127.0.0.1:5984/", true, "http://ann:*****@127.0.0.1:5984/")]
    public void A_server_url_is_shown_as_given_with_its_password_masked(string given, bool withCredential, string shown)
    {
        using var replicator = ServerReplicator.Connect(given, withCredential ? new CouchCredential("admin", "pw") : null);

        Assert.Equal(shown, replicator.Server);
    }

    [Fact]
    public void A_replication_two_nodes_run_for_a_moment_is_listed_once_from_the_node_of_its_job()
    {
        var onN1 = new CouchActiveTask { ReplicationId = "a+continuous", DocsWritten = 1, Node = "n1", DocId = "doc-a", Database = "_replicator" };
        var onN2 = onN1 with { DocsWritten = 2, Node = "n2" };
        var job = new CouchActiveTask { ReplicationId = "a+continuous", State = CouchReplicationState.Running, DocId = "doc-a", Database = "_replicator", Node = "n2" };

        var listed = Assert.Single(SchedulerJobs.Merge([onN1, onN2], [job], [], [], includeInactive: false));

        Assert.Equal((2L, "n2"), (listed.DocsWritten, listed.Node));
    }

    [Fact]
    public void A_legacy_replicator_document_gives_its_state_and_hides_its_passwords()
    {
        var triggered = ReplicatorDocs.Read(Json("""
            {"source":"http://admin:secret@h/src","target":{"url":"http://h/tgt","auth":{"basic":{"username":"admin","password":"secret"}}},
             "continuous":true,"proxy":"http://p:proxy-secret@proxy/","_replication_id":"d645d279","_replication_state":"triggered",
             "_replication_state_time":"2026-11-22T03:23:06.377Z","_id":"r1","_rev":"2-b4ee"}
            """));
        var failed = ReplicatorDocs.Read(Json("""
            {"source":"http://h/a","target":"http://h/b","_replication_state":"error","_replication_state_reason":"unauthorized","_id":"r2",
             "_replication_stats":{"docs_read":3,"docs_written":1}}
            """));
        var untouched = ReplicatorDocs.Read(Json("""{"source":"http://h/a","target":"http://h/b","_id":"r3"}"""));

        Assert.Equal((CouchReplicationState.Running, "d645d279", "r1", "_replicator"), (triggered.State, triggered.ReplicationId, triggered.DocId, triggered.Database));
        Assert.Equal(("http://admin:*****@h/src", "http://h/tgt"), (triggered.Source, triggered.Target));
        Assert.True(triggered.Continuous);
        Assert.Equal("http://p:*****@proxy/", triggered.AdditionalFields["proxy"]);
        Assert.DoesNotContain("secret", string.Join(",", triggered.AdditionalFields.Values));
        Assert.Equal((CouchReplicationState.Failed, "unauthorized", 1L), (failed.State, failed.Error, failed.DocsWritten));
        Assert.Equal(CouchReplicationState.Initializing, untouched.State);
        Assert.Equal(new[] { "r1" }, ReplicatorDocs.Merge([], [triggered, failed, untouched], includeInactive: false).Select(t => t.DocId));
        Assert.Equal(3, ReplicatorDocs.Merge([], [triggered, failed, untouched], includeInactive: true).Count);
    }

    [Theory]
    [InlineData(500, "db_not_found", "could not open http://h/nosuch/", CouchErrorKind.DbNotFound)]
    [InlineData(500, "replication_auth_error", "{session_request_unauthorized,\"http://h/_session\",\"admin\"}", CouchErrorKind.Unauthorized)]
    [InlineData(500, "unauthorized", "unauthorized to access or create database http://h/src/", CouchErrorKind.Unauthorized)]
    [InlineData(500, "error", "{http_request_failed,\"GET\",\"http://h:1/src/\",{error,{conn_failed,{error,econnrefused}}}}", CouchErrorKind.Unreachable)]
    [InlineData(500, "replication_auth_error", "{session_request_failed,\"http://h:1/_session\",\"admin\",{conn_failed,{error,econnrefused}}}", CouchErrorKind.Unreachable)]
    [InlineData(500, "bad_request", "request to http://ann:pw@h:1/src/ failed, reason: connect ECONNREFUSED 127.0.0.1:1", CouchErrorKind.Unreachable)]
    [InlineData(404, "not_found", "Couldn't open document `_design/no` from source database `http://h/src/`: {error,<<\"not_found\">>}", CouchErrorKind.FilterNotFound)]
    [InlineData(404, "not_found", "missing", CouchErrorKind.NotFound)]
    [InlineData(403, "forbidden", "You are not allowed to access this db.", CouchErrorKind.Forbidden)]
    [InlineData(500, "error", "Missing replicator database", CouchErrorKind.ServerError)]
    public void Server_failures_are_named_as_the_engine_names_its_own(int status, string error, string reason, CouchErrorKind kind)
    {
        var answer = new CouchReplicationException(Http.CouchErrorResponse.KindOf(status), $"POST http://h/_replicate failed: {error}: {reason}",
            status, error, reason, "http://h/_replicate", isTransient: status >= 500);

        var mapped = ServerErrors.Map(answer);

        Assert.Equal(kind, mapped.Kind);
        Assert.Equal(status, mapped.StatusCode);
        Assert.Contains(error, mapped.Message);
        Assert.DoesNotContain(":pw@", mapped.Message + mapped.Reason);
        Assert.Equal(kind == CouchErrorKind.ServerError, mapped.IsTransient);
    }
}
