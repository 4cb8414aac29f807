using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Writing documents as an application does (<see cref="CouchDocumentWriter"/>, Add-CouchDocument):
/// the same edits give the same answers from a server and from a database file (new documents,
/// updates of a leaf, conflicts, deletions and revival, refused ids and fields, attachments and
/// their stubs), and what was written to a file replicates to a server complete.
/// </summary>
public abstract class DocumentWriterTests<TServer>(TServer server) : ServerTests<TServer>(server), IDisposable where TServer : CouchServer
{
    private readonly string _folder = Directory.CreateTempSubdirectory("couchreplication-writer-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>
    /// The edits, in order; each step's documents are one request. <c>{rev:x}</c> in a document is
    /// the revision step x gave to its first document, so both databases continue their own revisions.
    /// A stub names its digest, as a document read from CouchDB gives it: pouchdb-server needs it.
    /// </summary>
    private static readonly string[][] Steps =
    [
        ["""{"_id":"a","n":1}"""],
        ["""{"_id":"a","n":2}"""],
        ["""{"_id":"a","_rev":"{rev:0}","n":2}"""],
        ["""{"_id":"a","_rev":"{rev:0}","n":3}"""],
        ["""{"_id":"a","_rev":"{rev:2}","_deleted":true}"""],
        ["""{"_id":"a","n":4}"""],
        ["""{"_id":"_bad"}"""],
        ["""{"_id":"b","_bogus":1}"""],
        ["""{"_id":"_design/app","views":{"by_n":{"map":"function (doc) { emit(doc.n); }"}}}"""],
        ["""{"_id":"att","_attachments":{"a.bin":{"content_type":"application/octet-stream","data":"AAECAwQFBgcICQ=="}}}"""],
        ["""{"_id":"att","_rev":"{rev:9}","x":1,"_attachments":{"a.bin":{"stub":true,"digest":"md5-xWvVSA9uVBPLYqCtlmZhOg=="},"b.bin":{"content_type":"application/octet-stream","data":"/w=="}}}"""],
        ["""{"_id":"c","_rev":"1-0123456789abcdef0123456789abcdef"}"""],
        ["""{"_id":"d","n":1}""", """{"_id":"d","n":2}""", """{"_id":"e","n":3}"""],
        ["""{"n":"no id"}"""],
    ];

    private static async Task<List<IReadOnlyList<CouchDocumentWrite>>> ApplyAsync(string database)
    {
        using var writer = CouchDocumentWriter.Open(database, createDatabase: true);
        var answers = new List<IReadOnlyList<CouchDocumentWrite>>();
        foreach (var step in Steps)
        {
            var docs = step.Select(doc => System.Text.RegularExpressions.Regex.Replace(doc, @"\{rev:(\d+)\}",
                m => answers[int.Parse(m.Groups[1].Value)][0].Rev ?? "")).ToList();
            answers.Add(await writer.WriteAsync(docs));
        }
        return answers;
    }

    private static long Generation(string? rev) => rev is null ? 0 : long.Parse(rev[..rev.IndexOf('-')]);

    [ServerFact]
    public async Task The_same_edits_give_the_same_answers_from_the_server_and_from_a_file()
    {
        var db = CouchServer.NewDbName("written");
        var file = Path.Combine(_folder, "written.couchdb");
        var onServer = await ApplyAsync(Url(db));
        var inFile = await ApplyAsync(file);

        for (var step = 0; step < Steps.Length; step++)
        {
            var expected = onServer[step];
            var actual = inFile[step];
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var what = $"step {step} document {i}: server {expected[i]}, file {actual[i]}";
                Assert.True(expected[i].Ok == actual[i].Ok, what);
                Assert.True(Generation(expected[i].Rev) == Generation(actual[i].Rev), what);
                if (Server.IsCouchDb) Assert.True(expected[i].Error == actual[i].Error, what);
            }
        }
        Assert.Matches("^[0-9a-f]{32}$", inFile[^1][0].Id);
        Assert.Equal(file, inFile[0][0].Database);
        Assert.Equal(["conflict", "conflict", "illegal_docid", "doc_validation", "conflict"],
            inFile.SelectMany(answers => answers).Where(a => !a.Ok).Select(a => a.Error).Take(5));

        // What the file holds is complete: a replication to the server gives every revision, the
        // attachment kept by its stub with the server's own digest.
        var restored = CouchServer.NewDbName("restored");
        var result = await RunAsync(new CouchReplicationDoc { Source = file, Target = Url(restored), CreateTarget = true });
        Assert.True(result.Ok);
        Assert.Empty(result.Failures);
        var comparison = await CouchComparison.Start(new CouchReplicationDoc { Source = file, Target = Url(restored) }, deep: true, both: true).Completion;
        Assert.True(comparison.Identical, $"{comparison.Differences} differences between the file and its replica");
        using var att = await Client.GetJsonAsync($"{restored}/att");
        using var written = await Client.GetJsonAsync($"{db}/att");
        foreach (var name in new[] { "a.bin", "b.bin" })
            Assert.Equal(written.RootElement.GetProperty("_attachments").GetProperty(name).GetProperty("digest").GetString(),
                att.RootElement.GetProperty("_attachments").GetProperty(name).GetProperty("digest").GetString());
        Assert.Equal(1, att.RootElement.GetProperty("x").GetInt32());
        // pouchdb-server gives an attachment that arrives with its data the revpos of the revision it arrives in.
        if (Server.IsCouchDb)
        {
            Assert.Equal(1, att.RootElement.GetProperty("_attachments").GetProperty("a.bin").GetProperty("revpos").GetInt32());
            Assert.Equal(2, att.RootElement.GetProperty("_attachments").GetProperty("b.bin").GetProperty("revpos").GetInt32());
        }
        await NothingLostThroughAnotherReplicaAsync(restored);
    }

    /// <summary>The suite's invariant on a replication between two server databases, from the replica of the file.</summary>
    private async Task NothingLostThroughAnotherReplicaAsync(string db) => await ReplicateAsync(Doc(db, CouchServer.NewDbName("copy")));

    [ServerFact]
    public async Task A_missing_database_is_created_only_when_asked()
    {
        foreach (var database in new[] { Url(CouchServer.NewDbName("missing")), Path.Combine(_folder, "missing.couchdb") })
        {
            using (var writer = CouchDocumentWriter.Open(database))
            {
                var missing = await Assert.ThrowsAsync<CouchReplicationException>(() => writer.WriteAsync(["""{"_id":"x"}"""]));
                Assert.Equal(CouchErrorKind.DbNotFound, missing.Kind);
                Assert.Contains("-CreateDatabase", missing.Message);
            }
            using (var writer = CouchDocumentWriter.Open(database, createDatabase: true))
                Assert.True((await writer.WriteAsync(["""{"_id":"x"}"""]))[0].Ok);
        }
    }

    [Fact]
    public void Bad_input_is_refused_before_anything_is_written()
    {
        var file = Path.Combine(_folder, "never.couchdb");
        using (var writer = CouchDocumentWriter.Open(file, createDatabase: true))
        {
            var notJson = Assert.Throws<CouchReplicationException>(() => writer.WriteAsync(["""{"_id":"x"}""", "not json"]).GetAwaiter().GetResult());
            Assert.Contains("number 2 is not JSON", notJson.Message);
            var notObject = Assert.Throws<CouchReplicationException>(() => writer.WriteAsync(["[1,2]"]).GetAwaiter().GetResult());
            Assert.Contains("not a JSON object", notObject.Message);
        }
        Assert.False(File.Exists(file));
        var credential = Assert.Throws<CouchReplicationException>(() => CouchDocumentWriter.Open(file, new CouchCredential("admin", "s3cret")));
        Assert.Equal(CouchErrorKind.InvalidArgument, credential.Kind);
        Assert.DoesNotContain("s3cret", credential.Message);
    }
}

public sealed class DocumentWriterOnPouchDb(PouchDbServer server) : DocumentWriterTests<PouchDbServer>(server);

public sealed class DocumentWriterOnCouchDb(CouchDbServer server) : DocumentWriterTests<CouchDbServer>(server);
