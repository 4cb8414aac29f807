using System.Text.Json.Nodes;
using CouchReplication.Document;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Faults inside correct-looking answers: a 200 from <c>_bulk_get</c> with an error or
/// <c>missing</c> entry, an <c>open_revs</c> answer without the revision asked for, a 201 from
/// <c>_bulk_docs</c> with per-document errors of every kind CouchDB emits, a whole batch refused
/// with 400 for one document. For each, the document arrives, or it is reported with its id and
/// reason, or the run fails before its checkpoint and the next run takes it: never skipped.
/// </summary>
public abstract class AnswerFaultTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const int Documents = 300;

    protected override TimeSpan Limit => TimeSpan.FromMinutes(3);

    /// <summary>A new source database and the name of a target that does not exist yet.</summary>
    private async Task<(string SourceDb, string TargetDb)> SeedAsync()
    {
        var db = await NewDbAsync("source");
        await Client.BulkDocsAsync(db, Enumerable.Range(0, Documents)
            .Select(i => (object)TestData.Revision($"doc-{i:D4}", [TestData.Rev(2, $"doc-{i}-2"), TestData.Rev(1, $"doc-{i}")])), newEdits: false);
        // A conflict and a deletion, so the leaves that go wrong are not only plain ones.
        await Client.BulkDocsAsync(db, [TestData.Revision("doc-0007", [TestData.Rev(2, "other"), TestData.Rev(1, "doc-7")])], newEdits: false);
        await Client.BulkDocsAsync(db, [TestData.Revision("doc-0008", [TestData.Rev(3, "gone"), TestData.Rev(2, "doc-8-2"), TestData.Rev(1, "doc-8")], deleted: true)], newEdits: false);
        return (db, CouchServer.NewDbName("target"));
    }

    private static ReplicationSettings Through(FaultProxy proxy, string sourceDb, string targetDb, Action<CouchReplicationDoc>? edit = null) =>
        OneRun(Doc(proxy, sourceDb, targetDb, d => { d.WorkerBatchSize = 50; edit?.Invoke(d); }))
            with { MissingRevisionRetryDelay = TimeSpan.FromMilliseconds(100) };

    /// <summary>Replaces the first result of a <c>_bulk_get</c> answer with <paramref name="entry"/>, built from that result's id and rev.</summary>
    private static Func<string, string> FirstBulkGetResult(Func<string, string, JsonNode> entry) => body =>
    {
        var answer = JsonNode.Parse(body)!;
        var first = answer["results"]![0]!;
        var doc = first["docs"]![0]!["ok"] ?? first["docs"]![0]!["error"];
        var id = (string)first["id"]!;
        var rev = (string?)doc?["_rev"] ?? (string?)doc?["rev"] ?? "1-x";
        first["docs"] = new JsonArray(entry(id, rev));
        return answer.ToJsonString();
    };

    private async Task AssertReadAgainAsync(Func<string, string, JsonNode> entry)
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        var struck = 0;
        proxy.Faults = r => r.Kind == "_bulk_get" && r.PathAndQuery.Contains("latest=true") && Interlocked.Increment(ref struck) <= 2
            ? new Fault.Rewrite(Response: FirstBulkGetResult(entry))
            : null;

        var result = await ReplicateAsync(Through(proxy, sourceDb, targetDb));

        Assert.Equal(2, Math.Min(struck, 2));
        Assert.Equal(0, result.DocWriteFailures);
        Assert.Equal(Documents + 1, result.DocsWritten);
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains("open_revs="));
    }

    [ServerFact]
    public Task An_error_entry_in_a_bulk_get_answer_is_read_again_on_its_own() =>
        AssertReadAgainAsync((id, rev) => new JsonObject
        {
            ["error"] = new JsonObject { ["id"] = id, ["rev"] = rev, ["error"] = "internal_server_error", ["reason"] = "injected" },
        });

    [ServerFact]
    public Task A_missing_entry_in_a_bulk_get_answer_is_read_again_on_its_own() =>
        AssertReadAgainAsync((_, rev) => new JsonObject { ["missing"] = rev });

    [ServerFact]
    public Task A_bulk_get_result_with_no_document_is_read_again_on_its_own() =>
        AssertReadAgainAsync((_, _) => new JsonObject { ["unexpected"] = true });

    [ServerFact]
    public async Task A_bulk_get_answer_short_of_one_result_is_matched_by_revision_and_the_lacking_leaf_read_again()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        var other = TestData.Rev(2, "other");
        var struck = 0;
        // One of the conflicted document's two leaves is left out of the answer: the others still line up by id, not by position.
        proxy.Faults = r => r.Kind == "_bulk_get" && r.Body.Contains(other) && Interlocked.Increment(ref struck) == 1
            ? new Fault.Rewrite(Response: body =>
            {
                var answer = JsonNode.Parse(body)!;
                var results = answer["results"]!.AsArray();
                results.Remove(results.First(x => x!["docs"]![0]!["ok"]?["_rev"]?.GetValue<string>() == other));
                return answer.ToJsonString();
            })
            : null;

        var result = await ReplicateAsync(Through(proxy, sourceDb, targetDb));

        Assert.Equal(1, struck);
        Assert.Equal(Documents + 1, result.DocsWritten);
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery.StartsWith($"/{sourceDb}/doc-0007?", StringComparison.Ordinal));
    }

    [ServerFact]
    public async Task A_revision_the_source_never_gives_fails_the_run_before_its_checkpoint_and_the_next_run_takes_it()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        const string victim = "doc-0123";
        // Every answer that would give the victim gives an error instead, whichever way it is asked for.
        proxy.Faults = r => r.Kind == "_bulk_get" && r.Body.Contains(victim)
            ? new Fault.Rewrite(Response: body =>
            {
                var answer = JsonNode.Parse(body)!;
                foreach (var result in answer["results"]!.AsArray())
                    if ((string)result!["id"]! == victim)
                        result["docs"] = new JsonArray(new JsonObject { ["error"] = new JsonObject { ["id"] = victim, ["error"] = "not_found", ["reason"] = "missing" } });
                return answer.ToJsonString();
            })
            : r.Method == "GET" && r.PathAndQuery.StartsWith($"/{sourceDb}/{victim}?", StringComparison.Ordinal)
                ? new Fault.Rewrite(Response: _ => """[{"error":"internal_server_error","reason":"injected"}]""")
                : null;
        var settings = Through(proxy, sourceDb, targetDb, d => { d.WorkerProcesses = 1; d.CheckpointInterval = 50; });

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(settings));

        Assert.Equal(CouchErrorKind.RevisionUnreadable, error.Kind);
        Assert.Contains(victim, error.Message);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await Client.StatusAsync($"{targetDb}/{victim}"));
        // The checkpoint, if any, stops before the victim: a resumed run still sees its change.
        if (await Client.StatusAsync($"{targetDb}/_local/{Protocol.ReplicationIdentity.Compute(settings, null)}") == System.Net.HttpStatusCode.OK)
        {
            using var log = await Client.GetJsonAsync($"{targetDb}/_local/{Protocol.ReplicationIdentity.Compute(settings, null)}");
            using var after = await Client.GetJsonAsync($"{sourceDb}/_changes?since={Uri.EscapeDataString(log.RootElement.GetProperty("source_last_seq").ToString())}");
            Assert.Contains(after.RootElement.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == victim);
        }

        proxy.Faults = null;
        var rerun = await ReplicateAsync(settings);
        Assert.False(rerun.NoChanges);
    }

    [ServerFact]
    public async Task Without_bulk_get_an_open_revs_answer_lacking_a_revision_is_read_again()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        const string victim = "doc-0007";
        var struck = 0;
        // The first answer for the conflicted document lacks one of its two leaves; the one after the wait is whole.
        proxy.Faults = r => r.Method == "GET" && r.PathAndQuery.StartsWith($"/{sourceDb}/{victim}?", StringComparison.Ordinal)
            && Interlocked.Increment(ref struck) == 1
            ? new Fault.Rewrite(Response: body => new JsonArray(JsonNode.Parse(body)!.AsArray().Take(1).Select(n => n!.DeepClone()).ToArray()).ToJsonString())
            : null;

        var result = await ReplicateAsync(Through(proxy, sourceDb, targetDb, d => d.UseBulkGet = false));

        Assert.DoesNotContain(proxy.Requests, r => r.Kind == "_bulk_get");
        Assert.Equal(2, struck);
        Assert.Equal(Documents + 1, result.DocsWritten);
    }

    [ServerFact]
    public async Task Per_document_errors_in_a_bulk_docs_answer_are_reported_with_their_reasons()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        var refusals = new Dictionary<string, string>
        {
            ["doc-0010"] = "forbidden", ["doc-0011"] = "unauthorized", ["doc-0012"] = "conflict",
            ["doc-0013"] = "illegal_docid", ["doc-0014"] = "too_large", ["doc-0015"] = "missing_stub",
        };
        // The first write of each document leaves it out of what the target sees, and the target's answer names it with an error.
        var struck = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        proxy.Faults = r =>
        {
            if (r.Kind != "_bulk_docs" || r.Database != targetDb) return null;
            var now = refusals.Keys.Where(r.Body.Contains).Where(id => struck.TryAdd(id, true)).ToHashSet();
            return now.Count == 0 ? null : new Fault.Rewrite(
                Request: body =>
                {
                    var request = JsonNode.Parse(body)!;
                    var docs = request["docs"]!.AsArray();
                    foreach (var doc in docs.Where(d => now.Contains((string)d!["_id"]!)).ToList()) docs.Remove(doc);
                    return request.ToJsonString();
                },
                Response: body =>
                {
                    var answer = JsonNode.Parse(body)!.AsArray();
                    foreach (var doc in JsonNode.Parse(r.Body)!["docs"]!.AsArray().Where(d => now.Contains((string)d!["_id"]!)))
                        answer.Add(new JsonObject
                        {
                            ["id"] = (string)doc!["_id"]!, ["rev"] = (string)doc["_rev"]!,
                            ["error"] = refusals[(string)doc["_id"]!], ["reason"] = "injected " + refusals[(string)doc["_id"]!],
                        });
                    return answer.ToJsonString();
                });
        };

        var result = await ReplicateAsync(Through(proxy, sourceDb, targetDb));

        // A missing stub is CouchDB's request to send the attachments: the revision travels again, with them.
        var reported = result.Failures.ToDictionary(f => f.Id, f => (f.Error, f.Reason));
        Assert.Equal(refusals.Where(r => r.Value != "missing_stub").ToDictionary(r => r.Key, r => (r.Value, (string?)("injected " + r.Value))), reported);
        Assert.Equal(refusals.Count - 1, result.DocWriteFailures);
        Assert.Equal(refusals.Count - 1, result.History[0].DocWriteFailures);
        Assert.Equal(System.Net.HttpStatusCode.OK, await Client.StatusAsync($"{targetDb}/doc-0015"));
    }

    [ServerFact]
    public async Task A_batch_refused_whole_for_one_document_is_narrowed_to_that_document()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        await using var proxy = new FaultProxy(Server.Url);
        const string refused = "doc-0042";
        proxy.Faults = r => r.Kind == "_bulk_docs" && r.Database == targetDb && r.Body.Contains(refused)
            ? new Fault.Answer(400, "application/json", """{"error":"illegal_docid","reason":"Document id must not exceed 100 bytes"}""")
            : null;

        var result = await ReplicateAsync(Through(proxy, sourceDb, targetDb));

        var failure = Assert.Single(result.Failures);
        Assert.Equal((refused, "illegal_docid", "Document id must not exceed 100 bytes"), (failure.Id, failure.Error, failure.Reason));
        Assert.Equal(Documents, result.DocsWritten);
    }

    [ServerFact(CouchDbOnly = "max_document_id_length")]
    public async Task An_id_longer_than_the_target_takes_is_a_failure_of_that_document_on_CouchDB()
    {
        var (sourceDb, targetDb) = await SeedAsync();
        var longId = "long-" + new string('x', 200);
        await Client.PutDocAsync(sourceDb, longId, new Dictionary<string, object?> { ["long"] = true });
        await Client.CreateDbAsync(targetDb);
        await Client.SetConfigAsync("couchdb", "max_document_id_length", "100");
        try
        {
            var result = await ReplicateAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb), WorkerBatchSize = 50 });

            var failure = Assert.Single(result.Failures);
            Assert.Equal((longId, "illegal_docid"), (failure.Id, failure.Error));
            Assert.Equal(Documents + 1, result.DocsWritten);
            Assert.Equal(1, result.DocWriteFailures);
        }
        finally
        {
            await Client.SetConfigAsync("couchdb", "max_document_id_length", "infinity");
        }
    }
}

public sealed class AnswerFaultsOnPouchDb(PouchDbServer server) : AnswerFaultTests<PouchDbServer>(server);

public sealed class AnswerFaultsOnCouchDb(CouchDbServer server) : AnswerFaultTests<CouchDbServer>(server);
