using System.Text;
using System.Text.Json;
using CouchReplication.CouchApi;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Protocol;

namespace CouchReplication.Tests;

/// <summary>The CouchDB API layer without a server: the URLs and bodies it builds, and how it reads canned answers.</summary>
public sealed class CouchApiTests
{
    private static ChangesRequest Request(Action<CouchReplicationDoc>? filter = null, string since = "0", bool winningRevsOnly = false)
    {
        var doc = new CouchReplicationDoc();
        filter?.Invoke(doc);
        return new ChangesRequest(new Seq(since), ChangesFilter.From(doc), winningRevsOnly);
    }

    private static string? BodyOf(Action<Utf8JsonWriter>? body)
    {
        if (body is null) return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) body(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void A_changes_page_is_asked_for_by_feed_style_since_and_limit()
    {
        Assert.Equal("_changes?feed=normal&style=all_docs&since=0&limit=500&seq_interval=500",
            ChangesQuery.Normal(Request(), 500, selectorInQuery: false));
        // A string sequence goes into the query without its quotes; winning_revs_only asks for the winners only.
        Assert.Equal("_changes?feed=normal&style=main_only&since=12-g1A%2Bb%3D&limit=7&seq_interval=7",
            ChangesQuery.Normal(Request(since: "\"12-g1A+b=\"", winningRevsOnly: true), 7, selectorInQuery: false));
    }

    [Fact]
    public void The_continuous_feed_asks_for_its_heartbeat_after_the_filter()
    {
        Assert.Equal("_changes?feed=continuous&style=all_docs&since=42&filter=_doc_ids&heartbeat=10000",
            ChangesQuery.Continuous(Request(d => d.DocIds = ["a"], since: "42"), TimeSpan.FromSeconds(10), selectorInQuery: false));
    }

    [Fact]
    public void Doc_ids_travel_in_a_post_body_in_couchdb_order()
    {
        var request = Request(d => d.DocIds = ["b", "a%2Fb", "a"]);

        Assert.EndsWith("&filter=_doc_ids", ChangesQuery.Normal(request, 1, selectorInQuery: false));
        Assert.Equal("""{"doc_ids":["a","a/b","b"]}""", BodyOf(ChangesQuery.Body(request.Filter, selectorInQuery: false)));
    }

    [Fact]
    public void A_selector_travels_in_a_post_body_or_for_servers_that_refuse_that_in_the_query()
    {
        var request = Request(d => d.Selector = new Dictionary<string, object?> { ["n"] = new Dictionary<string, object?> { ["$gt"] = 1 } });

        Assert.EndsWith("&filter=_selector", ChangesQuery.Normal(request, 1, selectorInQuery: false));
        Assert.Equal("""{"selector":{"n":{"$gt":1}}}""", BodyOf(ChangesQuery.Body(request.Filter, selectorInQuery: false)));

        Assert.EndsWith("&filter=_selector&selector=%7B%22n%22%3A%7B%22%24gt%22%3A1%7D%7D", ChangesQuery.Normal(request, 1, selectorInQuery: true));
        Assert.Null(ChangesQuery.Body(request.Filter, selectorInQuery: true));
    }

    [Fact]
    public void A_filter_function_takes_its_query_params_except_the_ones_the_feed_sets_itself()
    {
        var request = Request(d =>
        {
            d.Filter = "app/even";
            d.QueryParams = new Dictionary<string, object?> { ["x"] = "y z", ["n"] = 3, ["limit"] = 1, ["since"] = "9", ["list"] = new[] { 1, 2 } };
        });

        Assert.EndsWith("&limit=5&seq_interval=5&filter=app%2Feven&x=y%20z&n=3&list=%5B1%2C2%5D", ChangesQuery.Normal(request, 5, selectorInQuery: false));
        Assert.Null(ChangesQuery.Body(request.Filter, selectorInQuery: false));
    }

    [Fact]
    public void A_view_filter_names_its_view_in_the_query()
    {
        var request = Request(d => { d.Filter = "_view"; d.QueryParams = new Dictionary<string, object?> { ["view"] = "app/by_n" }; });

        Assert.EndsWith("&seq_interval=5&filter=_view&view=app%2Fby_n", ChangesQuery.Normal(request, 5, selectorInQuery: false));
    }

    [Fact]
    public void Continuous_feed_lines_are_changes_the_end_or_an_error()
    {
        var change = ChangesLine.Parse("""{"seq":"5-x","id":"a","changes":[{"rev":"1-a"},{"rev":"1-b"}]}""", "source");
        Assert.Equal(("\"5-x\"", "a", "1-a,1-b"), (change.Sequence?.RawJson, change.Change?.Id, string.Join(',', change.Change!.Revs)));

        var local = ChangesLine.Parse("""{"seq":6,"id":"_local/x","changes":[{"rev":"0-1"}]}""", "source");
        Assert.Equal(("6", null), (local.Sequence?.RawJson, local.Change));

        var end = ChangesLine.Parse("""{"last_seq":"9-z","pending":0}""", "source");
        Assert.Equal((null, "\"9-z\""), (end.Sequence?.RawJson, end.LastSeq?.RawJson));

        var error = Assert.Throws<CouchReplicationException>(() => ChangesLine.Parse("""{"error":"timeout","reason":"x"}""", "source"));
        Assert.Equal((CouchErrorKind.ServerError, true), (error.Kind, error.IsTransient));
        Assert.StartsWith("The source's changes feed failed:", error.Message);
    }

    [Fact]
    public void A_revs_diff_answer_gives_the_documents_with_revisions_missing()
    {
        var missing = MissingRevs.Parse(Json("""{"a":{"missing":["2-x"],"possible_ancestors":["1-a"]},"b":{"missing":[]},"c":{}}"""), "target");

        var only = Assert.Single(missing);
        Assert.Equal(("a", "2-x", "1-a"), (only.Id, string.Join(',', only.Missing), string.Join(',', only.PossibleAncestors)));

        var error = Assert.Throws<CouchReplicationException>(() => MissingRevs.Parse(Json("[]"), "target"));
        Assert.Equal((CouchErrorKind.InvalidResponse, "The target's _revs_diff answer is not a JSON object."), (error.Kind, error.Message));
    }

    [Fact]
    public void A_bulk_get_answer_gives_each_revision_or_what_the_source_said_instead()
    {
        var results = BulkGetResult.Parse(Json("""
            {"results": [
              {"id": "a", "docs": [{"ok": {"_id": "a", "_rev": "3-c", "_revisions": {"start": 3, "ids": ["c", "b", "a"]}}}]},
              {"id": "b", "docs": [{"error": {"id": "b", "rev": "1-x", "error": "not_found", "reason": "missing"}}]},
              {"id": "c", "docs": [{"missing": "2-y"}]},
              {"id": "d", "docs": [{"error": "forbidden", "reason": "no"}]},
              {"id": "e", "docs": [{"surprise": 1}]},
              {"docs": []}
            ]}
            """), "source");

        Assert.Equal(["a", "b", "c", "d", "e", null], results.Select(r => r.Id));
        var revision = results[0].Entries.Single().Revision!;
        Assert.Equal(("a", "3-c", "3-c,2-b,1-a"), (revision.Id, revision.Rev, string.Join(',', revision.History)));
        Assert.Equal(["not_found: missing", "revision 2-y is missing", "forbidden: no", """an unexpected entry {"surprise": 1}"""],
            results.Skip(1).Take(4).Select(r => r.Entries.Single().Problem));
        Assert.Empty(results[5].Entries);

        var error = Assert.Throws<CouchReplicationException>(() => BulkGetResult.Parse(Json("""{"rows": []}"""), "source"));
        Assert.Equal((CouchErrorKind.InvalidResponse, "The source's _bulk_get answer has no results array."), (error.Kind, error.Message));
    }

    [Fact]
    public void A_revision_describes_its_attachments_by_their_stubs()
    {
        var revision = new DocRevision(Json("""
            {"_id": "d", "_rev": "2-x", "_attachments": {
              "a.txt": {"revpos": 1, "length": 5, "stub": true},
              "b.gz": {"revpos": 2, "length": 10, "encoding": "gzip", "encoded_length": 8, "stub": true},
              "c": {"stub": true}}}
            """));

        Assert.Equal([new AttachmentStub(1, 5, false), new AttachmentStub(2, 10, true), new AttachmentStub(null, null, false)], revision.Attachments);
        Assert.Equal(["2-x"], revision.History);
        Assert.Equal(("", null), (new DocRevision(Json("{}")).Id, new DocRevision(Json("{}")).Rev));
    }

    [Fact]
    public void A_bulk_docs_answer_gives_the_revisions_refused()
    {
        var failures = BulkDocsAnswer.Parse(Json("""[{"id": "a", "rev": "1-a", "ok": true}, {"id": "b", "error": "forbidden", "reason": "no"}]"""), "target");

        Assert.Equal([new CouchDocWriteFailure("b", null, "forbidden", "no")], failures);
        var error = Assert.Throws<CouchReplicationException>(() => BulkDocsAnswer.Parse(Json("{}"), "target"));
        Assert.Equal((CouchErrorKind.InvalidResponse, "The target's _bulk_docs answer is not a JSON array."), (error.Kind, error.Message));
    }

    [Fact]
    public void A_replication_log_is_written_in_couchdb_shape_and_read_back()
    {
        var history = Enumerable.Range(0, 60).Select(i => new CouchReplicationHistoryEntry($"s{i}", DateTimeOffset.UnixEpoch, new Seq(i.ToString()))).ToList();
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) ReplicationLog.Write(writer, "rid", "1-0", "s0", new Seq("\"5-x\""), history);
        using var written = JsonDocument.Parse(buffer.ToArray());

        Assert.Equal(("_local/rid", 4), (written.RootElement.GetProperty("_id").GetString(), written.RootElement.GetProperty("replication_id_version").GetInt32()));
        var log = ReplicationLog.Parse(written.RootElement);
        Assert.Equal(("1-0", "s0", "\"5-x\"", ReplicationLog.MaxHistory), (log.Rev, log.SessionId, log.SourceLastSeq?.RawJson, log.History.Count));
        Assert.Equal(["s0", "s1"], log.History.Take(2).Select(h => h.SessionId));

        using var first = new MemoryStream();
        using (var writer = new Utf8JsonWriter(first)) ReplicationLog.Write(writer, "rid", null, "s0", Seq.Zero, []);
        Assert.DoesNotContain("_rev", Encoding.UTF8.GetString(first.ToArray()));
    }

    [Fact]
    public void Create_target_params_become_the_query_of_the_database_put()
    {
        Assert.Equal("?q=1&partitioned=false&name=a%20b",
            HttpCouchDatabase.CreateQuery(new Dictionary<string, object?> { ["q"] = 1, ["partitioned"] = false, ["name"] = "a b" }));
        Assert.Equal("", HttpCouchDatabase.CreateQuery(null));
    }

    [Fact]
    public void A_filter_is_read_from_its_design_document_and_a_view_by_its_map_function()
    {
        var design = Json("""{"filters": {"even": "function (doc) { return true; }"}, "views": {"by_n": {"map": "function (doc) { emit(1); }"}}}""");

        Assert.Equal("function (doc) { return true; }", HttpCouchDatabase.FunctionSource(design, "filters", "even"));
        Assert.Equal("function (doc) { emit(1); }", HttpCouchDatabase.FunctionSource(design, "views", "by_n"));
        Assert.Null(HttpCouchDatabase.FunctionSource(design, "filters", "odd"));
        Assert.Null(HttpCouchDatabase.FunctionSource(design, "lists", "even"));
    }

    [Fact]
    public async Task A_bulk_docs_refused_whole_is_halved_until_the_refused_document_stands_alone()
    {
        var target = new RecordedTarget(ids => ids.Contains("big") ? new BulkDocsAnswer([], new BulkRefusal("too_large", "larger than allowed"))
            : new BulkDocsAnswer(ids.Contains("bad") ? [new CouchDocWriteFailure("bad", "1-b", "forbidden", "no")] : []));
        var revisions = new[] { "a", "b", "big", "c", "bad" }.Select(id => new DocRevision(Json($$"""{"_id": "{{id}}", "_rev": "1-{{id}}"}"""))).ToList();

        var failures = await BulkDocsHalving.WriteAsync(target, revisions, CancellationToken.None);

        Assert.Equal(["a,b,big,c,bad", "a,b", "big,c,bad", "big", "c,bad"], target.Requests);
        Assert.Equal([new CouchDocWriteFailure("big", "1-big", "too_large", "larger than allowed"), new CouchDocWriteFailure("bad", "1-b", "forbidden", "no")], failures);
    }

    /// <summary>A target that answers _bulk_docs from a function of the ids sent, and records each request.</summary>
    private sealed class RecordedTarget(Func<IReadOnlyList<string>, BulkDocsAnswer> answer) : ICouchDatabase
    {
        public List<string> Requests { get; } = [];

        public Task<BulkDocsAnswer> BulkDocsAsync(IReadOnlyList<DocRevision> revisions, CancellationToken ct)
        {
            var ids = revisions.Select(r => r.Id).ToList();
            Requests.Add(string.Join(',', ids));
            return Task.FromResult(answer(ids));
        }

        public void Dispose() { }

        public Task<DatabaseNotFound?> FindAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<Seq> ReadUpdateSeqAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<bool> CreateAsync(IDictionary<string, object?>? parameters, CancellationToken ct) => throw new NotSupportedException();
        public Task<bool> KeepsAttachmentEncodingsAsync(CancellationToken ct) => throw new NotSupportedException();
        public bool GivesStoredEncodings { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public Task<ChangesPage> ReadChangesAsync(ChangesRequest request, int limit, CancellationToken ct) => throw new NotSupportedException();
        public Task<IContinuousChanges> FollowChangesAsync(ChangesRequest request, TimeSpan heartbeat, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<MissingRevs>> RevsDiffAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> revsById, CancellationToken ct) => throw new NotSupportedException();
        public Task<ReadAnswer<IReadOnlyList<BulkGetResult>>?> BulkGetAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct) => throw new NotSupportedException();
        public Task<ReadAnswer<IReadOnlyList<BulkGetResult>>> BulkGetWithAttachmentsAsync(IReadOnlyList<RevisionRequest> revisions, CancellationToken ct) => throw new NotSupportedException();
        public Task<ReadAnswer<IReadOnlyList<RevisionEntry>>> OpenRevsAsync(string id, IReadOnlyList<string> revs, bool withAttachments, CancellationToken ct) => throw new NotSupportedException();
        public Task<IRevisionParts> OpenRevisionWithAttachmentsAsync(string id, string rev, IReadOnlyList<string> attsSince, CancellationToken ct) => throw new NotSupportedException();
        public Task<CouchDocWriteFailure?> PutWithAttachmentsAsync(RevisionWithAttachments revision, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<CouchDocumentWrite>> SaveAsync(IReadOnlyList<System.Text.Json.JsonElement> docs, CancellationToken ct) => throw new NotSupportedException();
        public Task<ReplicationLog?> ReadReplicationLogAsync(string replicationId, CancellationToken ct) => throw new NotSupportedException();
        public Task<string?> WriteReplicationLogAsync(string replicationId, string? rev, string sessionId, Seq sourceLastSeq,
            IReadOnlyList<CouchReplicationHistoryEntry> history, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> ReadFunctionAsync(string name, DesignSection section, CancellationToken ct) => throw new NotSupportedException();
    }
}
