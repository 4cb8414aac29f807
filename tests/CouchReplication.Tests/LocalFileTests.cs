using System.Text;
using Microsoft.Data.Sqlite;
using CouchReplication.Document;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// A database file as an end of a replication: a backup (server to file) and a restore (file to a
/// fresh database) give the same revision trees and attachment digests as a direct replication,
/// incremental backups transfer only what changed, and a file that is not a database file of this
/// module, missing, or in use elsewhere is a clear error naming it.
/// </summary>
public abstract class LocalFileTests<TServer>(TServer server) : ServerTests<TServer>(server), IDisposable where TServer : CouchServer
{
    private readonly FileFolder _folder = new();

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    private string FilePath(string name) => _folder.File(name);

    /// <summary>A new database with <see cref="TestData.SeedWithAttachmentsAsync"/>'s documents.</summary>
    private async Task<string> SeededDbAsync()
    {
        var db = await NewDbAsync("source");
        await TestData.SeedWithAttachmentsAsync(Client, db);
        return db;
    }


    [ServerFact]
    public async Task Backup_and_restore_give_the_trees_and_digests_of_a_direct_replication()
    {
        var sourceDb = await SeededDbAsync();
        var file = FilePath("backup.couchdb");
        var directDb = CouchServer.NewDbName("direct");
        var restoredDb = CouchServer.NewDbName("restored");

        await ReplicateAsync(Doc(sourceDb, directDb));
        var backup = await RunAsync(Between(Url(sourceDb), file));
        var restore = await RunAsync(Between(file, Url(restoredDb)));

        Assert.True(backup.Ok && restore.Ok);
        Assert.Empty(backup.Failures);
        Assert.Empty(restore.Failures);
        var direct = await Client.SnapshotAsync(directDb);
        var restored = await Client.SnapshotAsync(restoredDb);
        Assert.Equal(direct.Keys, restored.Keys);
        foreach (var (id, tree) in direct) Assert.True(tree == restored[id], $"{id}:\ndirect   {tree}\nrestored {restored[id]}");
        Assert.DoesNotContain(restored.Keys, id => id.StartsWith("_local/", StringComparison.Ordinal));
        foreach (var name in TestData.SeededAttachments)
            Assert.Equal(await Client.AttachmentHashAsync(sourceDb, "attached", name), await Client.AttachmentHashAsync(restoredDb, "attached", name));
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);

        var again = await RunAsync(Between(Url(sourceDb), file));
        Assert.True(again.NoChanges || again.DocsWritten == 0, $"a second backup wrote {again.DocsWritten} documents");
    }

    [ServerFact]
    public async Task An_incremental_backup_transfers_only_the_new_changes()
    {
        var sourceDb = await NewDbAsync("source", Enumerable.Range(0, 30).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i:D2}", ["n"] = i }));
        var file = FilePath("incremental.couchdb");
        var first = await RunAsync(Between(Url(sourceDb), file));
        Assert.Equal(30, first.DocsWritten);

        await Client.PutDocAsync(sourceDb, "new-1", new Dictionary<string, object?> { ["n"] = 100 });
        await Client.PutDocAsync(sourceDb, "new-2", new Dictionary<string, object?> { ["n"] = 101 });
        using (var doc = await Client.GetJsonAsync($"{sourceDb}/doc-05"))
            await Client.PutDocAsync(sourceDb, "doc-05", new Dictionary<string, object?> { ["_rev"] = doc.RootElement.GetProperty("_rev").GetString(), ["n"] = -5 });
        var second = await RunAsync(Between(Url(sourceDb), file));

        // A history entry's counters carry over from the sessions before it, as CouchDB's do.
        Assert.Equal(3, second.DocsWritten);
        Assert.Equal(3, second.History[0].MissingChecked - first.History[0].MissingChecked);
        var restoredDb = CouchServer.NewDbName("restored");
        await RunAsync(Between(file, Url(restoredDb)));
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);
    }

    [ServerFact]
    public async Task Continuous_replications_follow_changes_into_a_file_and_out_of_it()
    {
        var sourceDb = await NewDbAsync("source", [new Dictionary<string, object?> { ["_id"] = "first" }]);
        var file = FilePath("continuous.couchdb");
        var restoredDb = CouchServer.NewDbName("restored");
        var registry = new ReplicationRegistry();
        var backup = (await registry.StartAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file, CreateTarget = true, Continuous = true })).Task;
        await Eventually.HappensAsync(() => Task.FromResult(File.Exists(file)), "the backup file");
        var restore = (await registry.StartAsync(new CouchReplicationDoc { Source = file, Target = Url(restoredDb), CreateTarget = true, Continuous = true })).Task;

        await Client.PutDocAsync(sourceDb, "while-running", new Dictionary<string, object?> { ["n"] = 1 });
        await Eventually.HappensAsync(async () => (await Client.StatusAsync(restoredDb)) == System.Net.HttpStatusCode.OK
            && (await Client.AllIdsAsync(restoredDb)).SequenceEqual(["first", "while-running"]), "both documents through the file");

        registry.StopAll(TimeSpan.FromSeconds(30));
        Assert.Equal(CouchReplicationState.Stopped, backup.State);
        Assert.Equal(CouchReplicationState.Stopped, restore.State);
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);
    }

    [ServerFact]
    public async Task A_missing_file_without_create_target_is_a_missing_database()
    {
        var sourceDb = await NewDbAsync("source", [new Dictionary<string, object?> { ["_id"] = "a" }]);
        var file = FilePath("absent.couchdb");

        var asTarget = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file }));
        var asSource = await Assert.ThrowsAsync<CouchReplicationException>(() =>
            RunAsync(Between(file, Url(CouchServer.NewDbName("target")))));

        Assert.Equal(CouchErrorKind.DbNotFound, asTarget.Kind);
        Assert.Equal(CouchErrorKind.DbNotFound, asSource.Kind);
        Assert.Contains(file, asTarget.Message);
        Assert.False(File.Exists(file));
    }

    [ServerFact]
    public async Task A_foreign_or_damaged_file_is_a_clear_error_naming_it()
    {
        var sourceDb = await NewDbAsync("source", [new Dictionary<string, object?> { ["_id"] = "a" }]);
        var damaged = FilePath("damaged.couchdb");
        await File.WriteAllBytesAsync(damaged, Encoding.UTF8.GetBytes(new string('x', 8192)));
        var foreign = FilePath("foreign.sqlite");
        using (var other = new SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            other.Open();
            using var create = other.CreateCommand();
            create.CommandText = "CREATE TABLE t (x)";
            create.ExecuteNonQuery();
        }

        foreach (var file in new[] { damaged, foreign })
        {
            var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(Between(Url(sourceDb), file)));
            Assert.Equal(CouchErrorKind.InvalidResponse, error.Kind);
            Assert.Contains(file, error.Message);
            Assert.Contains("not a CouchReplication database file", error.Message);
        }
    }

    [ServerFact]
    public async Task A_file_another_connection_holds_is_refused_as_in_use()
    {
        var sourceDb = await NewDbAsync("source", [new Dictionary<string, object?> { ["_id"] = "a" }]);
        var file = FilePath("held.couchdb");
        await RunAsync(Between(Url(sourceDb), file));
        // Another process would hold the file the same way: SQLite's exclusive lock.
        using var holder = new SqliteConnection($"Data Source={file};Pooling=False");
        holder.Open();
        using (var hold = holder.CreateCommand())
        {
            hold.CommandText = "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;";
            hold.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<CouchReplicationException>(() => RunAsync(Between(Url(sourceDb), file)));

        Assert.Equal(CouchErrorKind.Conflict, error.Kind);
        Assert.Contains("in use by another process", error.Message);
        Assert.Contains(file, error.Message);
    }

    [Fact]
    public void Anything_but_an_http_url_is_a_database_file_path()
    {
        ReplicationSettings Of(string source) => ReplicationSettings.From(new CouchReplicationDoc { Source = source, Target = "https://example.com/target" });

        Assert.Equal(Path.GetFullPath("backup.couchdb"), Of("backup.couchdb").Source.FilePath);
        Assert.Equal(FilePath("a.couchdb"), Of(new Uri(FilePath("a.couchdb")).AbsoluteUri).Source.FilePath);
        Assert.Equal(FilePath("a.couchdb"), Of(FilePath("a.couchdb")).Source.Redacted);
        Assert.Null(Of("http://localhost:5984/db").Source.FilePath);
        Assert.Equal(CouchErrorKind.InvalidArgument, Assert.Throws<CouchReplicationException>(() => Of(_folder.Path)).Kind);
    }

    [Fact]
    public void Javascript_filters_http_options_and_server_mode_are_refused_for_a_file()
    {
        var file = FilePath("any.couchdb");
        var cases = new (CouchReplicationDoc Doc, string Says)[]
        {
            (new CouchReplicationDoc { Source = file, Target = "http://localhost:5984/target", Filter = "app/even" }, "JavaScript"),
            (new CouchReplicationDoc { Source = file, Target = "http://localhost:5984/target", SourceCredential = new CouchCredential("admin", "secret") }, "is a database file"),
            (new CouchReplicationDoc { Source = "http://localhost:5984/source", Target = file, TargetHeaders = new Dictionary<string, string> { ["X-A"] = "b" } }, "is a database file"),
        };

        foreach (var (doc, says) in cases)
        {
            var error = Assert.Throws<CouchReplicationException>(() => ReplicationSettings.From(doc));
            Assert.Equal(CouchErrorKind.InvalidArgument, error.Kind);
            Assert.Contains(says, error.Message);
        }
        var onServer = Assert.Throws<CouchReplicationException>(() =>
            ServerMode.ReplicateRequest.From(new CouchReplicationDoc { Source = "http://localhost:5984/source", Target = file }));
        Assert.Equal(CouchErrorKind.InvalidArgument, onServer.Kind);
        Assert.Contains("replicate without -Server", onServer.Message);
    }

    [ServerFact]
    public async Task Doc_ids_filter_a_file_source()
    {
        var sourceDb = await NewDbAsync("source", Enumerable.Range(0, 10).Select(i => new Dictionary<string, object?> { ["_id"] = $"doc-{i}" }));
        var file = FilePath("filtered.couchdb");
        await RunAsync(Between(Url(sourceDb), file));
        var targetDb = CouchServer.NewDbName("target");

        var result = await RunAsync(new CouchReplicationDoc { Source = file, Target = Url(targetDb), CreateTarget = true, DocIds = ["doc-3", "doc-7"] });

        Assert.Equal(2, result.DocsWritten);
        Assert.Equal(["doc-3", "doc-7"], await Client.AllIdsAsync(targetDb));
    }

    [ServerFact]
    public async Task An_attachment_written_without_revpos_is_restored_from_a_file_with_its_data()
    {
        // CouchDB gives such an attachment revpos 0: a restore must send its data, not a stub.
        var sourceDb = await NewDbAsync("source");
        await Client.BulkDocsAsync(sourceDb, [new Dictionary<string, object?>
        {
            ["_id"] = "no-revpos",
            ["_rev"] = "1-0123456789abcdef0123456789abcdef",
            ["_attachments"] = new Dictionary<string, object?> { ["a.bin"] = TestData.Inline("application/octet-stream", [1, 2, 3, 4, 5]) },
        }], newEdits: false);
        var file = FilePath("no-revpos.couchdb");
        var restoredDb = CouchServer.NewDbName("restored");

        await RunAsync(Between(Url(sourceDb), file));
        var restore = await RunAsync(Between(file, Url(restoredDb)));

        Assert.Empty(restore.Failures);
        Assert.Equal(await Client.AttachmentHashAsync(sourceDb, "no-revpos", "a.bin"), await Client.AttachmentHashAsync(restoredDb, "no-revpos", "a.bin"));
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);
    }

    public void Dispose()
    {
        _folder.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class LocalFileOnPouchDb(PouchDbServer server) : LocalFileTests<PouchDbServer>(server);

public sealed class LocalFileOnCouchDb(CouchDbServer server) : LocalFileTests<CouchDbServer>(server);
