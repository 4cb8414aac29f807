using System.Security.Cryptography;
using System.Text;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>Datasets that exercise what replicators get wrong.</summary>
internal static class TestData
{
    /// <summary>Ids with every character class that must survive URLs and JSON.</summary>
    public static readonly string[] AwkwardIds =
    [
        "slash/in/id", "plus+id", "percent%25id", "question?id", "hash#id", "with space",
        "ünïcödé-日本語-🚀", "colon:id", new string('x', 200),
    ];

    /// <summary>A revision id in CouchDB's shape, stable for a seed.</summary>
    public static string Rev(int generation, string seed) =>
        $"{generation}-{Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(seed))).ToLowerInvariant()}";

    /// <summary>A document revision with its history, for <c>new_edits: false</c>.</summary>
    public static Dictionary<string, object?> Revision(string id, IReadOnlyList<string> historyNewestFirst, bool deleted = false, object? value = null)
    {
        var newest = historyNewestFirst[0];
        var generation = int.Parse(newest[..newest.IndexOf('-')]);
        var doc = new Dictionary<string, object?>
        {
            ["_id"] = id,
            ["_rev"] = newest,
            ["_revisions"] = new Dictionary<string, object?>
            {
                ["start"] = generation,
                ["ids"] = historyNewestFirst.Select(r => r[(r.IndexOf('-') + 1)..]).ToList(),
            },
            ["value"] = value ?? newest,
        };
        if (deleted) doc["_deleted"] = true;
        return doc;
    }

    /// <summary>
    /// Plain documents, awkward ids, a design document, a document with an attachment, a deleted
    /// document, a long history, a three-leaf conflict with a deleted leaf, and a _local document.
    /// </summary>
    public static async Task SeedEverythingAsync(CouchTestClient client, string db, int plainDocs = 20)
    {
        await client.BulkDocsAsync(db, Enumerable.Range(0, plainDocs)
            .Select(i => new Dictionary<string, object?> { ["_id"] = $"plain-{i:D4}", ["n"] = i, ["text"] = new string('p', 100) }), newEdits: true);
        foreach (var id in AwkwardIds)
            await client.PutDocAsync(db, id, new Dictionary<string, object?> { ["id"] = id });

        await client.PutDocAsync(db, "_design/app", new Dictionary<string, object?>
        {
            ["views"] = new Dictionary<string, object?> { ["by_n"] = new Dictionary<string, object?> { ["map"] = "function (doc) { if (doc.n) emit(doc.n); }" } },
            ["filters"] = new Dictionary<string, object?> { ["even"] = "function (doc) { return doc.n % 2 === 0; }" },
        });

        await client.PutDocAsync(db, "with-attachment", new Dictionary<string, object?>
        {
            ["_attachments"] = new Dictionary<string, object?>
            {
                ["hello.txt"] = new Dictionary<string, object?> { ["content_type"] = "text/plain", ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("hello, world")) },
            },
        });

        var deletedRev = await client.PutDocAsync(db, "deleted-doc", new Dictionary<string, object?> { ["doomed"] = true });
        await client.PutDocAsync(db, "deleted-doc", new Dictionary<string, object?> { ["_rev"] = deletedRev, ["_deleted"] = true });

        var rev = await client.PutDocAsync(db, "long-history", new Dictionary<string, object?> { ["version"] = 0 });
        for (var v = 1; v < 40; v++)
            rev = await client.PutDocAsync(db, "long-history", new Dictionary<string, object?> { ["_rev"] = rev, ["version"] = v });

        string R(int g, string s) => Rev(g, "conflicted-" + s);
        await client.BulkDocsAsync(db,
        [
            Revision("conflicted", [R(3, "c"), R(2, "b"), R(1, "a")]),
            Revision("conflicted", [R(2, "d"), R(1, "a")]),
            Revision("conflicted", [R(3, "f"), R(2, "e"), R(1, "a")], deleted: true),
        ], newEdits: false);

        await client.PutDocAsync(db, "_local/stay-home", new Dictionary<string, object?> { ["local"] = true });
    }

    /// <summary>An attachment given inline, as an entry of a document's <c>_attachments</c>.</summary>
    public static Dictionary<string, object?> Inline(string contentType, byte[] data) =>
        new() { ["content_type"] = contentType, ["data"] = Convert.ToBase64String(data) };

    /// <summary>A large attachment's name with what a multipart part header must carry: spaces, a semicolon, quotes, non-ASCII.</summary>
    public const string AwkwardAttachmentName = "large ünïcödé; \"quoted\" 日本.bin";

    /// <summary>The attachments of the document <c>attached</c> that <see cref="SeedWithAttachmentsAsync"/> writes.</summary>
    public static readonly string[] SeededAttachments = ["compressible.txt", "small.bin", "large.bin", AwkwardAttachmentName];

    /// <summary>
    /// Everything of <see cref="SeedEverythingAsync"/>, and a document <c>attached</c> whose
    /// attachments are stored compressed (a large text, which CouchDB stores gzip) and as they are
    /// (binary, small and large enough to be streamed).
    /// </summary>
    public static async Task SeedWithAttachmentsAsync(CouchTestClient client, string db)
    {
        await SeedEverythingAsync(client, db);
        var binary = new byte[300 * 1024];
        new Random(7).NextBytes(binary);
        await client.PutDocAsync(db, "attached", new Dictionary<string, object?>
        {
            ["_attachments"] = new Dictionary<string, object?>
            {
                ["compressible.txt"] = Inline("text/plain", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the same line again and again\n", 20000)))),
                ["small.bin"] = Inline("application/octet-stream", binary[..1000]),
                ["large.bin"] = Inline("application/octet-stream", binary),
                [AwkwardAttachmentName] = Inline("application/octet-stream", binary[1000..]),
            },
        });
    }
}
