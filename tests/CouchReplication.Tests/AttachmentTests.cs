using System.Text;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Attachments arrive complete, in their stored encoding, with their metadata; only the ones the
/// target lacks travel; refusals are counted, not fatal.
/// </summary>
public abstract class AttachmentTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task AssertSameAsync(string sourceDb, string targetDb, params (string Id, string Name)[] contents)
    {
        // pouchdb-server gives every inline attachment it stores the revision's generation as
        // revpos (its own replicator does the same); CouchDB keeps revpos as sent.
        string Comparable(string tree) => Server.IsCouchDb ? tree : System.Text.RegularExpressions.Regex.Replace(tree, "\"revpos\":[0-9]+", "\"revpos\":_");
        var source = (await Client.SnapshotAsync(sourceDb)).ToDictionary(t => t.Key, t => Comparable(t.Value));
        var target = (await Client.SnapshotAsync(targetDb)).ToDictionary(t => t.Key, t => Comparable(t.Value));
        Assert.Equal(source.Keys, target.Keys);
        foreach (var (id, tree) in source) Assert.True(tree == target[id], $"{id}:\nsource {tree}\ntarget {target[id]}");
        foreach (var (id, name) in contents)
            Assert.Equal(await Client.AttachmentHashAsync(sourceDb, id, name), await Client.AttachmentHashAsync(targetDb, id, name));
    }

    [ServerFact]
    public async Task Attachments_of_every_kind_arrive_identical()
    {
        var sourceDb = await NewDbAsync("source");
        await Client.PutDocAsync(sourceDb, "kinds", new Dictionary<string, object?>
        {
            ["_attachments"] = new Dictionary<string, object?>
            {
                ["small.txt"] = TestData.Inline("text/plain", Encoding.UTF8.GetBytes("hello, attachments")),
                ["binary.bin"] = TestData.Inline("application/octet-stream", Bytes(4096, 1)),
                ["compressible.txt"] = TestData.Inline("text/plain", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the same line again and again\n", 20000)))),
                ["dir/with space ünïcödé 日本.json"] = TestData.Inline("application/json", Encoding.UTF8.GetBytes("""{"a": 1}""")),
            },
        });
        await Client.PutAttachmentAsync(sourceDb, "five-mb", null, "big.bin", "application/octet-stream", new PatternStream(5 * 1024 * 1024, 2));
        await Client.PutDocAsync(sourceDb, "sixty", new Dictionary<string, object?>
        {
            ["_attachments"] = Enumerable.Range(0, 60).ToDictionary(i => $"part-{i:D2}.txt", i => (object?)TestData.Inline("text/plain", Encoding.UTF8.GetBytes($"part {i}"))),
        });
        var targetDb = CouchServer.NewDbName("target");

        var result = await ReplicateAsync(Doc(sourceDb, targetDb));

        Assert.Equal(3, result.DocsWritten);
        await AssertSameAsync(sourceDb, targetDb, ("kinds", "binary.bin"), ("kinds", "compressible.txt"), ("kinds", "dir/with space ünïcödé 日本.json"),
            ("five-mb", "big.bin"), ("sixty", "part-59.txt"));
        if (Server.IsCouchDb)
        {
            using var stub = await Client.GetJsonAsync($"{targetDb}/kinds?att_encoding_info=true");
            Assert.Equal("gzip", stub.RootElement.GetProperty("_attachments").GetProperty("compressible.txt").GetProperty("encoding").GetString());
        }
    }

    [ServerFact]
    public async Task Later_revisions_that_add_or_remove_attachments_and_conflict_branches_arrive_identical()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        var rev = await Client.PutDocAsync(sourceDb, "growing", new Dictionary<string, object?>
        {
            ["_attachments"] = new Dictionary<string, object?> { ["first.bin"] = TestData.Inline("application/octet-stream", Bytes(300_000, 3)), ["gone.txt"] = TestData.Inline("text/plain", "bye"u8.ToArray()) },
        });
        await Client.BulkDocsAsync(sourceDb,
        [
            WithAttachment(TestData.Revision("branchy", [TestData.Rev(2, "left"), TestData.Rev(1, "root")]), "left.txt", "left side"),
            WithAttachment(TestData.Revision("branchy", [TestData.Rev(2, "right"), TestData.Rev(1, "root")]), "right.txt", "right side"),
        ], newEdits: false);
        await ReplicateAsync(Doc(sourceDb, targetDb));

        // Add an attachment and drop one; only the new attachment may travel.
        await using var proxy = new FaultProxy(Server.Url);
        using (var current = await Client.GetJsonAsync($"{sourceDb}/growing"))
            await Client.PutDocAsync(sourceDb, "growing", new Dictionary<string, object?>
            {
                ["_rev"] = rev,
                ["_attachments"] = new Dictionary<string, object?>
                {
                    ["first.bin"] = Json.PlainJson.ToPlain(current.RootElement.GetProperty("_attachments").GetProperty("first.bin")),
                    ["second.txt"] = TestData.Inline("text/plain", "added later"u8.ToArray()),
                },
            });
        var second = await ReplicateAsync(Doc(proxy, sourceDb, targetDb));

        Assert.Equal(1, second.DocsWritten);
        await AssertSameAsync(sourceDb, targetDb, ("growing", "first.bin"), ("growing", "second.txt"));
        using (var latest = await Client.GetJsonAsync($"{targetDb}/growing"))
            Assert.False(latest.RootElement.GetProperty("_attachments").TryGetProperty("gone.txt", out _));
        if (Server.IsCouchDb)
            Assert.All(proxy.Requests.Where(r => r.Method == "PUT" && r.PathAndQuery.Contains("/growing")), r => Assert.InRange(r.Length, 1, 100_000));
    }

    [ServerFact]
    public async Task Small_uncompressed_attachments_travel_in_bulk_requests_and_large_ones_stream()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        await Client.BulkDocsAsync(sourceDb, Enumerable.Range(0, 40).Select(i => new Dictionary<string, object?>
        {
            ["_id"] = $"photo-{i:D2}",
            ["_attachments"] = new Dictionary<string, object?> { ["thumb.png"] = TestData.Inline("image/png", Bytes(2048, i)) },
        }), newEdits: true);
        await Client.PutAttachmentAsync(sourceDb, "large", null, "big.bin", "application/octet-stream", new PatternStream(200_000, 5));
        await using var proxy = new FaultProxy(Server.Url);

        var result = await ReplicateAsync(Doc(proxy, sourceDb, targetDb));

        Assert.Equal(41, result.DocsWritten);
        await AssertSameAsync(sourceDb, targetDb, ("photo-00", "thumb.png"), ("photo-39", "thumb.png"), ("large", "big.bin"));
        Assert.DoesNotContain(proxy.Requests, r => r.PathAndQuery.Contains("/photo-"));
        Assert.Contains(proxy.Requests, r => r.Method == "POST" && r.PathAndQuery.Contains("/_bulk_get?") && r.PathAndQuery.Contains("attachments=true"));
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains("/large?"));
    }

    [ServerFact]
    public async Task A_target_that_lost_an_attachment_stub_gets_every_attachment_again()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = await NewDbAsync("target");
        foreach (var id in new[] { "same-attachments", "one-more-attachment" })
        {
            var first = await Client.PutDocAsync(sourceDb, id, new Dictionary<string, object?>
            {
                ["_attachments"] = new Dictionary<string, object?> { ["old.txt"] = TestData.Inline("text/plain", "from the first revision"u8.ToArray()) },
            });
            // The target has the first revision, but without its attachment (as after a lossy copy).
            await Client.BulkDocsAsync(targetDb, [TestData.Revision(id, [first])], newEdits: false);
            using var current = await Client.GetJsonAsync($"{sourceDb}/{id}");
            var attachments = (Dictionary<string, object?>)Json.PlainJson.ToPlain(current.RootElement.GetProperty("_attachments"))!;
            if (id == "one-more-attachment") attachments["new.txt"] = TestData.Inline("text/plain", "from the second revision"u8.ToArray());
            await Client.PutDocAsync(sourceDb, id, new Dictionary<string, object?> { ["_rev"] = first, ["changed"] = true, ["_attachments"] = attachments });
        }

        var result = await ReplicateAsync(Doc(sourceDb, targetDb));

        Assert.Equal(2, result.DocsWritten);
        Assert.Equal(0, result.DocWriteFailures);
        foreach (var id in new[] { "same-attachments", "one-more-attachment" })
            Assert.Equal(await Client.AttachmentHashAsync(sourceDb, id, "old.txt"), await Client.AttachmentHashAsync(targetDb, id, "old.txt"));
    }

    private static Dictionary<string, object?> WithAttachment(Dictionary<string, object?> revision, string name, string text)
    {
        revision["_attachments"] = new Dictionary<string, object?> { [name] = TestData.Inline("text/plain", Encoding.UTF8.GetBytes(text)) };
        return revision;
    }

    [ServerFact(CouchDbOnly = "[chttpd] max_http_request_size")]
    public async Task Too_large_requests_split_the_batch_and_a_document_too_large_alone_is_a_counted_failure()
    {
        var sourceDb = await NewDbAsync("source");
        await Client.BulkDocsAsync(sourceDb, Enumerable.Range(0, 30).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D2}", ["text"] = new string('x', 20_000) }), newEdits: true);
        await Client.PutDocAsync(sourceDb, "huge", new Dictionary<string, object?> { ["text"] = new string('y', 400_000) });
        var targetDb = await NewDbAsync("target");
        await Client.SetConfigAsync("chttpd", "max_http_request_size", "200000");
        try
        {
            var result = await ReplicateAsync(Doc(sourceDb, targetDb));

            Assert.Equal(30, result.DocsWritten);
            Assert.Equal(1, result.DocWriteFailures);
            Assert.Equal("huge", Assert.Single(result.Failures).Id);
        }
        finally
        {
            await Client.SetConfigAsync("chttpd", "max_http_request_size", "4294967296");
        }
    }

    [ServerFact]
    public async Task A_document_the_target_refuses_is_counted_and_reported_and_the_rest_goes_on()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = await NewDbAsync("target");
        await Client.PutDocAsync(targetDb, "_design/guard", new Dictionary<string, object?>
        {
            ["validate_doc_update"] = "function (doc) { if (doc.forbidden) throw({forbidden: 'no forbidden documents here'}); }",
        });
        await Client.BulkDocsAsync(sourceDb,
        [
            new Dictionary<string, object?> { ["_id"] = "fine" },
            new Dictionary<string, object?> { ["_id"] = "refused", ["forbidden"] = true },
            new Dictionary<string, object?> { ["_id"] = "refused-with-attachment", ["forbidden"] = true, ["_attachments"] = new Dictionary<string, object?> { ["a.txt"] = TestData.Inline("text/plain", "a"u8.ToArray()) } },
        ], newEdits: true);
        var job = (await new ReplicationRegistry().StartAsync(Doc(sourceDb, targetDb))).Task;

        var result = await job.GetResultAsync().WaitAsync(Limit);

        Assert.Equal(1, result.DocsWritten);
        Assert.Equal(2, result.DocWriteFailures);
        Assert.Equal(["refused", "refused-with-attachment"], result.Failures.Select(f => f.Id).Order());
        Assert.All(result.Failures, f => Assert.Equal("forbidden", f.Error));
        var warnings = new List<string>();
        while (job.TryTakeMessage(out var message)) if (message.IsWarning) warnings.Add(message.Text);
        Assert.Contains(warnings, w => w.Contains("refused-with-attachment") && w.Contains("no forbidden documents here"));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
    }
}

public sealed class AttachmentsOnPouchDb(PouchDbServer server) : AttachmentTests<PouchDbServer>(server);

public sealed class AttachmentsOnCouchDb(CouchDbServer server) : AttachmentTests<CouchDbServer>(server);

public sealed class AttachmentsOnExternalServer(ExternalServer server) : AttachmentTests<ExternalServer>(server);
