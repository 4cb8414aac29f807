using System.Diagnostics;
using Xunit.Abstractions;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    /// <summary>Memory is measured with nothing else running in the test process.</summary>
    public const string Name = "Memory measurement";
}

/// <summary>
/// A 200 MB attachment streams from source to target: the process grows by far less than the
/// attachment. Real CouchDB only: pouchdb-server answers JSON, with the attachment inline.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public sealed class LargeAttachmentOnCouchDb(CouchDbServer server, ITestOutputHelper output) : ServerTests<CouchDbServer>(server)
{
    private const long Size = 200L * 1024 * 1024;

    [ServerFact(CouchDbOnly = "multipart attachments (pouchdb-server sends them inline as base64)")]
    public async Task A_200_MB_attachment_streams_through_without_being_held_in_memory()
    {
        var sourceDb = await NewDbAsync("source");
        var targetDb = CouchServer.NewDbName("target");
        await Client.PutAttachmentAsync(sourceDb, "big", null, "big.bin", "application/octet-stream", new PatternStream(Size, 7));

        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        var baseline = process.WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var peak = baseline;
        var task = (await new ReplicationRegistry().StartAsync(Doc(sourceDb, targetDb))).Task;
        while (!task.Completion.IsCompleted)
        {
            process.Refresh();
            peak = Math.Max(peak, process.WorkingSet64);
            await Task.Delay(20);
        }
        var result = await task.GetResultAsync();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var growth = peak - baseline;
        output.WriteLine($"200 MB attachment: working set grew {growth / 1024 / 1024} MB at peak, {allocated / 1024 / 1024} MB allocated in all");

        Assert.Equal(1, result.DocsWritten);
        Assert.Equal(await Client.AttachmentHashAsync(sourceDb, "big", "big.bin"), await Client.AttachmentHashAsync(targetDb, "big", "big.bin"));
        Assert.InRange(growth, long.MinValue, 64L * 1024 * 1024);
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
    }
}
