using System.Text.Json;
using Xunit.Abstractions;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// Memory stays flat with attachments: 200 documents with a 1 MB attachment each (200 MB in all,
/// streamed) and 200 with a 60,000-byte one (12 MB, inline in _bulk_get and _bulk_docs) replicate in a process whose GC heap is capped far below one batch of them
/// (<c>DOTNET_GCHeapHardLimit</c>, set for tests/CouchReplication.OneReplication, the child that
/// runs the replication), so an engine that held a batch's attachments, or a whole answer with
/// them, runs out of memory and fails the test.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public abstract class MemoryLimitTests<TServer>(TServer server, ITestOutputHelper output) : ServerTests<TServer>(server) where TServer : CouchServer
{
    private const int Docs = 200;
    private const int AttachmentSize = 1024 * 1024;
    private const int SmallAttachmentSize = 60_000;
    private const int LargeDocs = 4;
    private const int LargeAttachmentSize = 12 * 1024 * 1024;

    /// <summary>
    /// The GC heap the child may use: a sixth of the 1 MB attachments. From CouchDB they stream
    /// through (multipart); pouchdb-server has no multipart and gives each document whole, its
    /// attachment as base64 in JSON, so there a copy holds its document (4 copies in flight).
    /// 20 MiB passed and failed on the same code from one CI run to the next (a stream copy's
    /// 80 KiB buffer could not be rented in a fragmented heap); 32 MiB leaves room for that and is
    /// still well below what one whole-batch <c>_bulk_get</c> of the 12 MB of small attachments
    /// holds (their base64 text and the decoded bytes).
    /// </summary>
    protected virtual long HeapLimit => 32L * 1024 * 1024;

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    /// <summary>Whether the server gives attachments as multipart parts, not inline in whole documents (pouchdb-server).</summary>
    protected virtual bool StreamsAttachments => true;

    [ServerFact]
    public async Task Two_hundred_1_MB_attachments_and_two_hundred_small_ones_replicate_under_a_heap_limit()
    {
        var sourceDb = await SeededDbAsync();
        var targetDb = CouchServer.NewDbName("target");

        var outcome = await ReplicateInChildAsync(Url(sourceDb), Url(targetDb));
        output.WriteLine($"{Docs} x 1 MB and {Docs} x 60 KB under a {HeapLimit >> 20} MiB heap limit: {outcome.RootElement.GetRawText()}");

        var root = outcome.RootElement;
        Assert.Equal(HeapLimit, root.GetProperty("heap_limit").GetInt64());
        Assert.Equal(2 * Docs, root.GetProperty("docs_written").GetInt64());
        Assert.Equal(0, root.GetProperty("doc_write_failures").GetInt64());
        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
    }

    /// <summary>
    /// The same, and four 12 MiB attachments, through a database file under the limit: into the
    /// file attachments are written into SQLite blobs as they arrive, and out of it they are read
    /// from the blobs a piece at a time into multipart PUTs (12 MiB held whole, as base64 inline in
    /// <c>_bulk_docs</c>, does not fit); they come back byte for byte. pouchdb-server gives each
    /// document whole, so into the file from it runs in this process, without the limit.
    /// </summary>
    [ServerFact]
    public async Task Large_attachments_go_into_a_database_file_and_out_of_it_under_a_heap_limit()
    {
        var sourceDb = await SeededDbAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, LargeDocs), async (n, _) =>
            await Client.PutAttachmentAsync(sourceDb, $"large-{n}", null, "video.bin", "application/octet-stream", new PatternStream(LargeAttachmentSize, 1000 + n)));
        var restoredDb = CouchServer.NewDbName("restored");
        var folder = Directory.CreateTempSubdirectory("couchreplication-memory-");
        try
        {
            var file = Path.Combine(folder.FullName, "backup.couchdb");
            if (StreamsAttachments) await InChildAsync(Url(sourceDb), file, "into a file");
            else await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file, CreateTarget = true });
            await InChildAsync(file, Url(restoredDb), "out of a file");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);
        foreach (var (id, name) in new[] { ("large-0", "video.bin"), ("large-3", "video.bin"), ("doc-000", "scan.bin"), ("doc-199", "scan.bin"), ("small-077", "thumb.bin") })
            Assert.Equal(await Client.AttachmentHashAsync(sourceDb, id, name), await Client.AttachmentHashAsync(restoredDb, id, name));

        async Task InChildAsync(string source, string target, string way)
        {
            var outcome = await ReplicateInChildAsync(source, target);
            output.WriteLine($"{Docs} x 1 MB, {Docs} x 60 KB and {LargeDocs} x 12 MiB {way} under a {HeapLimit >> 20} MiB heap limit: {outcome.RootElement.GetRawText()}");
            Assert.Equal(2 * Docs + LargeDocs, outcome.RootElement.GetProperty("docs_written").GetInt64());
            Assert.Equal(0, outcome.RootElement.GetProperty("doc_write_failures").GetInt64());
        }
    }

    /// <summary>A source database with <see cref="Docs"/> documents with a 1 MB attachment and as many with a 60,000-byte one.</summary>
    private async Task<string> SeededDbAsync()
    {
        var sourceDb = await NewDbAsync("source");
        await Parallel.ForEachAsync(Enumerable.Range(0, Docs), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (n, _) =>
        {
            await Client.PutAttachmentAsync(sourceDb, $"doc-{n:D3}", null, "scan.bin", "application/octet-stream", new PatternStream(AttachmentSize, n));
            await Client.PutAttachmentAsync(sourceDb, $"small-{n:D3}", null, "thumb.bin", "application/octet-stream", new PatternStream(SmallAttachmentSize, n));
        });
        return sourceDb;
    }

    /// <summary>Runs the replication in the child process under <see cref="HeapLimit"/>; returns the JSON line it prints.</summary>
    private async Task<JsonDocument> ReplicateInChildAsync(string source, string target)
    {
        var (exitCode, output, error) = await ChildReplication.RunAsync(new Dictionary<string, string>
        {
            ["COUCH_REPLICATE_SOURCE"] = source,
            ["COUCH_REPLICATE_TARGET"] = target,
            ["DOTNET_GCHeapHardLimit"] = HeapLimit.ToString("X"),
        }, Limit);
        Assert.True(exitCode == 0, $"The replication's process failed (exit code {exitCode}): {error}");
        return JsonDocument.Parse(output);
    }
}

public sealed class MemoryLimitOnPouchDb(PouchDbServer server, ITestOutputHelper output) : MemoryLimitTests<PouchDbServer>(server, output)
{
    protected override long HeapLimit => 64L * 1024 * 1024;

    protected override bool StreamsAttachments => false;
}

public sealed class MemoryLimitOnCouchDb(CouchDbServer server, ITestOutputHelper output) : MemoryLimitTests<CouchDbServer>(server, output);
