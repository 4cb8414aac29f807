using CouchReplication.Tests.Servers;


namespace CouchReplication.Tests;

/// <summary>
/// A backup taken from one kind of server and restored into the other: from Apache CouchDB, which
/// stores a compressible attachment gzip, into pouchdb-server, which cannot keep an encoding, and
/// back. The restore gives the target what a direct replication between the two servers gives it,
/// and both have every leaf revision of the source with every attachment's bytes.
/// </summary>
public sealed class CrossServerBackupTests(CouchDbServer couchDb, PouchDbServer pouchDb)
    : ServerTests<CouchDbServer>(couchDb), IClassFixture<PouchDbServer>, IDisposable
{
    private readonly FileFolder _folder = new();

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    [ServerFact]
    public Task A_backup_of_CouchDB_restores_into_pouchdb_server() => AssertRestoredAsync(Server, pouchDb);

    [ServerFact]
    public Task A_backup_of_pouchdb_server_restores_into_CouchDB() => AssertRestoredAsync(pouchDb, Server);

    private async Task AssertRestoredAsync(CouchServer from, CouchServer to)
    {
        var sourceDb = CouchServer.NewDbName("source");
        await from.Client.CreateDbAsync(sourceDb);
        await TestData.SeedWithAttachmentsAsync(from.Client, sourceDb);
        var file = _folder.File(sourceDb + ".couchdb");
        var directDb = CouchServer.NewDbName("direct");
        var restoredDb = CouchServer.NewDbName("restored");

        var direct = await RunAsync(Between(Url(from, sourceDb), Url(to, directDb)));
        var backup = await RunAsync(Between(Url(from, sourceDb), file));
        var restore = await RunAsync(Between(file, Url(to, restoredDb)));

        Assert.All(new[] { direct, backup, restore }, r => Assert.True(r.Ok && !r.Failures.Any(), $"{r.DocWriteFailures} documents refused"));
        var directTrees = await to.Client.SnapshotAsync(directDb);
        var restoredTrees = await to.Client.SnapshotAsync(restoredDb);
        Assert.Equal(directTrees.Keys, restoredTrees.Keys);
        foreach (var (id, tree) in directTrees) Assert.True(tree == restoredTrees[id], $"{id}:\ndirect   {tree}\nrestored {restoredTrees[id]}");
        await NothingLost.AssertAsync(from.Client, to.Client, sourceDb, directDb, kindsDiffer: true);
        await NothingLost.AssertAsync(from.Client, to.Client, sourceDb, restoredDb, kindsDiffer: true);

        // Compare-CouchDatabase -Deep agrees, though the two kinds digest a compressed attachment differently.
        var comparison = CouchComparison.Start(new CouchReplicationDoc { Source = Url(from, sourceDb), Target = Url(to, restoredDb) }, deep: true, both: true);
        var summary = await comparison.Completion.WaitAsync(Limit);
        Assert.False(comparison.TryTakeDifference(out var difference), $"-Deep found {difference}");
        Assert.True(summary.RevisionsChecked > 0);
    }

    private static string Url(CouchServer server, string db) => new Uri(server.Url, db).AbsoluteUri;

    public void Dispose() => _folder.Dispose();
}
