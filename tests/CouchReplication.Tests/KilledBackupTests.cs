using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Tests;

/// <summary>
/// A backup killed midway (SIGKILL, no cleanup) leaves a database file that opens, and the next run
/// of the same replication resumes from the file's checkpoint: it reads only the changes after it,
/// and the backup ends complete (restored, it loses nothing; compared with its source, it is identical).
/// </summary>
public abstract class KilledBackupTests<TServer>(TServer server, ITestOutputHelper output) : ServerTests<TServer>(server), IDisposable
    where TServer : CouchServer
{
    private const int Docs = 3000;
    private readonly string _folder = Directory.CreateTempSubdirectory("couchreplication-killed-").FullName;

    protected override TimeSpan Limit => TimeSpan.FromMinutes(5);

    /// <summary>
    /// <see cref="Docs"/> documents, every tenth with a 2 KB attachment (inline in _bulk_docs) and
    /// every 250th with a 200 KB one (copied one revision at a time), and every 100th edited twice.
    /// </summary>
    private async Task<string> SeededDbAsync()
    {
        var db = await NewDbAsync("source");
        var random = new Random(21);
        foreach (var chunk in Enumerable.Range(0, Docs).Chunk(500))
            await Client.BulkDocsAsync(db, chunk.Select(n =>
            {
                var doc = new Dictionary<string, object?> { ["_id"] = $"doc-{n:D4}", ["n"] = n, ["text"] = new string('x', 200) };
                var size = n % 250 == 0 ? 200_000 : n % 10 == 0 ? 2_000 : 0;
                if (size > 0)
                {
                    var data = new byte[size];
                    random.NextBytes(data);
                    doc["_attachments"] = new Dictionary<string, object?>
                    {
                        ["data.bin"] = new Dictionary<string, object?> { ["content_type"] = "application/octet-stream", ["data"] = Convert.ToBase64String(data) },
                    };
                }
                return doc;
            }), newEdits: true);
        for (var n = 0; n < Docs; n += 100)
            for (var edit = 0; edit < 2; edit++)
            {
                using var current = await Client.GetJsonAsync($"{db}/doc-{n:D4}");
                var body = JsonSerializer.Deserialize<Dictionary<string, object?>>(current.RootElement.GetRawText())!;
                body["edit"] = edit;
                await Client.PutDocAsync(db, $"doc-{n:D4}", body);
            }
        return db;
    }

    [ServerFact]
    public async Task A_backup_killed_midway_leaves_a_file_that_opens_and_the_next_run_resumes_from_its_checkpoint()
    {
        var sourceDb = await SeededDbAsync();
        var file = Path.Combine(_folder, "killed.couchdb");

        var checkpoints = await BackUpUntilKilledAsync(Url(sourceDb), file);

        Assert.True(File.Exists(file));
        using (var opened = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            opened.Open();
            using var check = opened.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
            check.CommandText = "SELECT count(*) FROM docs";
            var written = (long)check.ExecuteScalar()!;
            output.WriteLine($"killed after checkpoints {string.Join(", ", checkpoints)}; {written} of {Docs} documents in the file");
            Assert.InRange(written, 1, Docs - 1);
        }

        var resumed = await RunAsync(new CouchReplicationDoc { Source = Url(sourceDb), Target = file });
        output.WriteLine($"resumed: {resumed.DocsRead} documents read, {resumed.DocsWritten} written; history {string.Join(" | ", resumed.History.Select(h => h.ToString()))}");

        // The run continued the killed session's history from its checkpoint, and read only what came after it.
        Assert.True(resumed.Ok);
        Assert.Empty(resumed.Failures);
        Assert.True(resumed.History.Length >= 2, "the killed session is not in the replication log");
        var (now, killed) = (resumed.History[0], resumed.History[1]);
        Assert.NotEqual(killed.SessionId, now.SessionId);
        Assert.Equal(killed.RecordedSeq, now.StartLastSeq);
        Assert.NotEqual(killed.StartLastSeq, now.StartLastSeq);
        var checkedNow = now.MissingChecked - killed.MissingChecked;
        Assert.InRange(checkedNow, 1, Docs - 1);
        Assert.InRange(resumed.DocsRead, 1, Docs - 1);

        var restoredDb = CouchServer.NewDbName("restored");
        await RunAsync(new CouchReplicationDoc { Source = file, Target = Url(restoredDb), CreateTarget = true });
        await NothingLost.AssertAsync(Client, sourceDb, restoredDb);
        var comparison = CouchComparison.Start(new CouchReplicationDoc { Source = Url(sourceDb), Target = file }, deep: true, both: true);
        var summary = await comparison.Completion.WaitAsync(Limit);
        Assert.True(summary.Identical, $"{summary.Differences} differences between the source and the resumed backup");
        Assert.Equal(2 * Docs, summary.DocumentsChecked); // both ways
    }

    /// <summary>
    /// Backs up in a child process (one worker, batches of 20: slow enough to be caught midway) with a
    /// checkpoint every 100 ms, and kills it (SIGKILL) once it has written a checkpoint; returns the checkpointed sequences it reported. Fails if the backup
    /// finished before it could be killed.
    /// </summary>
    private async Task<List<string>> BackUpUntilKilledAsync(string source, string file)
    {
        using var child = ChildReplication.Start(new Dictionary<string, string>
        {
            ["COUCH_REPLICATE_SOURCE"] = source,
            ["COUCH_REPLICATE_TARGET"] = file,
            ["COUCH_REPLICATE_CHECKPOINT_INTERVAL"] = "100",
            ["COUCH_REPLICATE_WORKER_BATCH_SIZE"] = "20",
            ["COUCH_REPLICATE_WORKER_PROCESSES"] = "1",
            ["COUCH_REPLICATE_REPORT_CHECKPOINTS"] = "1",
        });
        var stderr = child.StandardError.ReadToEndAsync();
        var checkpoints = new List<string>();
        using var limit = new CancellationTokenSource(Limit);
        try
        {
            while (await child.StandardOutput.ReadLineAsync(limit.Token) is { } line)
            {
                using var report = JsonDocument.Parse(line);
                Assert.True(report.RootElement.TryGetProperty("checkpointed", out var seq), $"the backup finished before it was killed: {line}");
                checkpoints.Add(seq.GetString()!);
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
                if (checkpoints.Count == 1) break;
            }
            if (checkpoints.Count == 0) Assert.Fail($"the backup ended without a checkpoint: {await stderr}");
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(CancellationToken.None);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killed, exit code {child.ExitCode}");
        }
        return checkpoints;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

public sealed class KilledBackupOnPouchDb(PouchDbServer server, ITestOutputHelper output) : KilledBackupTests<PouchDbServer>(server, output);

public sealed class KilledBackupOnCouchDb(CouchDbServer server, ITestOutputHelper output) : KilledBackupTests<CouchDbServer>(server, output);
