using System.Text;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Compare-CouchDatabase's engine: after a replication the copy is reported identical, and each
/// way a copy can fall short (a conflict leaf, a deletion, an attachment revision missing, a body
/// or an attachment written differently under the same revision, a document only the target has)
/// gives exactly that difference, within the scope of the replication document.
/// </summary>
public abstract class CompareTests<TServer>(TServer server) : ServerTests<TServer>(server) where TServer : CouchServer
{
    /// <summary>Runs a comparison to its end; returns the differences in a stable order and the summary.</summary>
    private async Task<(List<CouchDifference> Differences, CouchComparisonSummary Summary)> CompareAsync(CouchReplicationDoc doc,
        bool deep = false, bool both = false)
    {
        var comparison = CouchComparison.Start(doc, deep, both);
        var summary = await comparison.Completion.WaitAsync(Limit);
        var differences = new List<CouchDifference>();
        while (comparison.TryTakeDifference(out var difference)) differences.Add(difference);
        return (differences.OrderBy(d => d.Kind).ThenBy(d => d.Id, StringComparer.Ordinal).ToList(), summary);
    }

    /// <summary>A source seeded with every kind of document (conflicts, deletions, design and local documents, odd ids, an attachment) and its replica.</summary>
    private async Task<(string SourceDb, string TargetDb)> ReplicatedAsync()
    {
        var sourceDb = await NewDbAsync("source");
        await TestData.SeedEverythingAsync(Client, sourceDb);
        var targetDb = CouchServer.NewDbName("target");
        await ReplicateAsync(Doc(sourceDb, targetDb));
        return (sourceDb, targetDb);
    }

    private static Dictionary<string, object?> WithAttachment(Dictionary<string, object?> revision, string text)
    {
        revision["_attachments"] = new Dictionary<string, object?>
        {
            ["note.txt"] = new Dictionary<string, object?> { ["content_type"] = "text/plain", ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) },
        };
        return revision;
    }

    [ServerFact]
    public async Task A_replica_is_identical_at_every_depth()
    {
        var (sourceDb, targetDb) = await ReplicatedAsync();
        var leaves = (await Client.SnapshotAsync(sourceDb)).Values.Sum(tree => tree.Split("\"_rev\"").Length - 1);

        var (differences, summary) = await CompareAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb) }, deep: true, both: true);

        Assert.Empty(differences);
        Assert.True(summary.Identical);
        Assert.Equal(0, summary.Differences);
        // Both feeds were read: every document twice, every leaf (3 for the conflict) twice, every body once.
        Assert.Equal(2 * (await Client.AllIdsAsync(sourceDb)).Count(id => !id.StartsWith("_local/")), summary.DocumentsChecked);
        Assert.Equal(2 * leaves, summary.RevisionsChecked);
        Assert.Equal(leaves, summary.BodiesCompared);
        Assert.NotEqual("", summary.SourceSeq);
        Assert.NotEqual("", summary.TargetSeq);
        Assert.DoesNotContain(CouchServer.AdminPassword, summary.Source + summary.Target + summary);
    }

    [ServerFact]
    public async Task Each_shortfall_of_a_copy_is_exactly_one_difference()
    {
        var (sourceDb, targetDb) = await ReplicatedAsync();
        string R(int g, string s) => TestData.Rev(g, "conflicted-" + s);
        var conflictLeaf = TestData.Rev(2, "conflicted-g");
        await Client.BulkDocsAsync(sourceDb, [TestData.Revision("conflicted", [conflictLeaf, R(1, "a")])], newEdits: false);
        var deletion = await Client.PutDocAsync(sourceDb, "plain-0001", new Dictionary<string, object?> { ["_rev"] = await RevAsync(sourceDb, "plain-0001"), ["_deleted"] = true });
        var attachmentRev = await Client.PutAttachmentAsync(sourceDb, "with-attachment", await RevAsync(sourceDb, "with-attachment"), "second.bin",
            "application/octet-stream", new MemoryStream([1, 2, 3]));
        // The same revision written differently on each side, as a restore or a hand edit with new_edits=false leaves it.
        var edited = TestData.Rev(1, "edited");
        await Client.BulkDocsAsync(sourceDb, [TestData.Revision("edited", [edited], value: "original")], newEdits: false);
        await Client.BulkDocsAsync(targetDb, [TestData.Revision("edited", [edited], value: "changed on the target")], newEdits: false);
        var noted = TestData.Rev(1, "noted");
        await Client.BulkDocsAsync(sourceDb, [WithAttachment(TestData.Revision("noted", [noted], value: "same"), "first text")], newEdits: false);
        await Client.BulkDocsAsync(targetDb, [WithAttachment(TestData.Revision("noted", [noted], value: "same"), "other text")], newEdits: false);
        var extra = await Client.PutDocAsync(targetDb, "only-on-target", new Dictionary<string, object?> { ["extra"] = true });
        var doc = new CouchReplicationDoc { Source = Url(sourceDb), Target = Url(targetDb) };

        var (shallow, shallowSummary) = await CompareAsync(doc);
        var (deep, deepSummary) = await CompareAsync(doc, deep: true, both: true);

        CouchDifference[] missing =
        [
            new("conflicted", conflictLeaf, CouchDifferenceKind.MissingOnTarget),
            new("plain-0001", deletion, CouchDifferenceKind.MissingOnTarget),
            new("with-attachment", attachmentRev, CouchDifferenceKind.MissingOnTarget),
        ];
        Assert.Equal(missing, shallow);
        Assert.Equal(3, shallowSummary.MissingOnTarget);
        Assert.False(shallowSummary.Identical);
        Assert.Equal(
        [
            .. missing,
            new("only-on-target", extra, CouchDifferenceKind.ExtraOnTarget),
            new("edited", edited, CouchDifferenceKind.BodyDiffers),
            new("noted", noted, CouchDifferenceKind.AttachmentDiffers, "note.txt"),
        ], deep);
        Assert.Equal((3, 1, 1, 1, 6), (deepSummary.MissingOnTarget, deepSummary.ExtraOnTarget, deepSummary.BodyDiffers, deepSummary.AttachmentDiffers, deepSummary.Differences));
        Assert.Equal(0, deepSummary.ChangedDuringComparison);
    }

    private async Task<string> RevAsync(string db, string id)
    {
        using var doc = await Client.GetJsonAsync($"{db}/{CouchTestClient.DocPath(id)}");
        return doc.RootElement.GetProperty("_rev").GetString()!;
    }

    [ServerFact]
    public async Task The_scope_of_a_filtered_replication_document_is_respected()
    {
        var sourceDb = await NewDbAsync("source");
        await TestData.SeedEverythingAsync(Client, sourceDb);
        var byIds = CouchServer.NewDbName("target");
        await ReplicateAsync(Doc(sourceDb, byIds, d => d.DocIds = ["plain-0000", "conflicted", "deleted-doc"]));
        var byFilter = CouchServer.NewDbName("target");
        await ReplicateAsync(Doc(sourceDb, byFilter, d => d.Filter = "app/even"), id => id.StartsWith("plain-", StringComparison.Ordinal) && int.Parse(id[6..]) % 2 == 0);

        var bySelector = CouchServer.NewDbName("target");
        var selector = new Dictionary<string, object?> { ["n"] = new Dictionary<string, object?> { ["$lt"] = 5 } };
        await ReplicateAsync(Doc(sourceDb, bySelector, d => d.Selector = selector), id => id is "plain-0000" or "plain-0001" or "plain-0002" or "plain-0003" or "plain-0004");
        var winners = CouchServer.NewDbName("target");
        await ReplicateAsync(Doc(sourceDb, winners, d => d.WinningRevsOnly = true));

        var (inIds, idsSummary) = await CompareAsync(Doc(sourceDb, byIds, d => d.DocIds = ["plain-0000", "conflicted", "deleted-doc"]), deep: true);
        var (inFilter, filterSummary) = await CompareAsync(Doc(sourceDb, byFilter, d => d.Filter = "app/even"), deep: true);
        var (inSelector, selectorSummary) = await CompareAsync(Doc(sourceDb, bySelector, d => d.Selector = selector), deep: true);
        var (winning, winningSummary) = await CompareAsync(Doc(sourceDb, winners, d => d.WinningRevsOnly = true), deep: true);
        var (allLeaves, _) = await CompareAsync(Doc(sourceDb, winners));
        var (whole, _) = await CompareAsync(Doc(sourceDb, byIds));

        Assert.Empty(inIds);
        Assert.Equal(3, idsSummary.DocumentsChecked);
        Assert.Equal(5, idsSummary.RevisionsChecked);
        Assert.Empty(inFilter);
        Assert.Equal(10, filterSummary.DocumentsChecked);
        Assert.Empty(inSelector);
        Assert.Equal(5, selectorSummary.DocumentsChecked);
        Assert.Empty(winning);
        Assert.Equal(winningSummary.DocumentsChecked, winningSummary.RevisionsChecked);
        // Without winning_revs_only, the conflict's two losing leaves are what that copy lacks.
        Assert.Equal(["conflicted", "conflicted"], allLeaves.Select(d => d.Id));
        Assert.Contains(new CouchDifference("plain-0001", await RevAsync(sourceDb, "plain-0001"), CouchDifferenceKind.MissingOnTarget), whole);
        Assert.DoesNotContain(whole, d => d.Id is "plain-0000" or "conflicted" or "deleted-doc");
    }

    [ServerFact]
    public async Task A_document_changed_during_the_comparison_is_not_judged_and_is_counted()
    {
        var sourceDb = await NewDbAsync("source", [Plain("same"), Plain("missing"), Plain("changing")]);
        var targetDb = await NewDbAsync("target");
        await ReplicateAsync(Doc(sourceDb, targetDb, d => d.DocIds = ["same"]));
        var changingRev = await RevAsync(sourceDb, "changing");
        await using var proxy = new FaultProxy(Server.Url);
        var written = 0;
        // Once the source's feed has been read, and before the target is asked: "changing" gets a new revision and a new document appears.
        proxy.Faults = request =>
        {
            if (request.Kind == "_revs_diff" && Interlocked.Exchange(ref written, 1) == 0)
            {
                Client.PutDocAsync(sourceDb, "changing", new Dictionary<string, object?> { ["_rev"] = changingRev, ["edited"] = true }).GetAwaiter().GetResult();
                Client.PutDocAsync(sourceDb, "new", new Dictionary<string, object?>()).GetAwaiter().GetResult();
            }
            return null;
        };

        var (differences, summary) = await CompareAsync(new CouchReplicationDoc { Source = Url(proxy, sourceDb), Target = Url(proxy, targetDb) });

        Assert.Equal([new CouchDifference("missing", await RevAsync(sourceDb, "missing"), CouchDifferenceKind.MissingOnTarget)], differences);
        Assert.Equal(1, summary.ChangedDuringComparison);
        Assert.Equal(3, summary.DocumentsChecked);
    }

    private static Dictionary<string, object?> Plain(string id) => new() { ["_id"] = id, ["n"] = 1 };

    [ServerFact]
    public async Task A_wrong_password_or_a_missing_database_is_the_usual_error()
    {
        var (sourceDb, targetDb) = await ReplicatedAsync();
        var wrong = new UriBuilder(Url(sourceDb)) { Password = "not-the-password" }.Uri.AbsoluteUri;

        var unauthorized = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            CouchComparison.Start(new CouchReplicationDoc { Source = wrong, Target = Url(targetDb) }).Completion.WaitAsync(Limit));
        var missing = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            CouchComparison.Start(new CouchReplicationDoc { Source = Url(sourceDb), Target = Server.NewDbUrl("absent") }).Completion.WaitAsync(Limit));

        Assert.Equal(CouchErrorKind.Unauthorized, unauthorized.Kind);
        Assert.DoesNotContain("not-the-password", unauthorized.ToString());
        Assert.Equal(CouchErrorKind.DbNotFound, missing.Kind);
        Assert.StartsWith("The target database", missing.Message);
    }
}

public sealed class CompareOnPouchDb(PouchDbServer server) : CompareTests<PouchDbServer>(server);

public sealed class CompareOnCouchDb(CouchDbServer server) : CompareTests<CouchDbServer>(server);

public sealed class CompareOnExternalServer(ExternalServer server) : CompareTests<ExternalServer>(server);
