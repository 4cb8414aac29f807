using System.Diagnostics;

namespace CouchReplication.Bench;

/// <summary>
/// Backing up many databases, as users script it (#32): couchbackup once per database, one after
/// another, in a shell loop; against the engine's scheduler taking every backup at once, each into
/// a file of its own, in this process. The same databases (<c>--many-dbs</c> of <c>--many-docs</c>
/// documents of the run's kind, seeded by the <see cref="Seeder"/>) for both, each backup counted.
/// </summary>
internal static class ManyBackups
{
    /// <summary>
    /// The loop a user writes: one couchbackup after the other, each a fresh node, stopping at the
    /// first that fails. Its names come from the environment.
    /// </summary>
    private const string Loop = """
        for db in $PEER_DATABASES; do
          COUCH_DATABASE="$db" node "$PEER_COUCHBACKUP" --quiet --output "$PEER_FOLDER/$db.txt" --log "$PEER_FOLDER/$db.log" || exit 1
        done
        """;

    public static async Task MeasureAsync(CouchClient client, Process? server, BenchOptions options, string dbPrefix, string folder, CancellationToken ct)
    {
        var sized = options with { Docs = options.ManyDocs };
        var dbs = Enumerable.Range(0, options.ManyDatabases).Select(i => $"{dbPrefix}peers-many-{i:D3}").ToList();
        foreach (var db in dbs)
        {
            (await client.PutAsync(db)).Dispose();
            await new Seeder(sized).SeedAsync(client, db);
        }
        var total = (long)options.ManyDatabases * options.ManyDocs;
        Console.WriteLine();
        Console.WriteLine($"peers, many databases: {dbs.Count} x {options.ManyDocs:N0} docs backed up");

        var loop = await PeerProcess.RunCommandAsync("bash", ["-c", Loop], new Dictionary<string, string>
        {
            ["COUCH_URL"] = client.ServerUrl.AbsoluteUri, ["PEER_DATABASES"] = string.Join(' ', dbs),
            ["PEER_COUCHBACKUP"] = PeerProcess.CouchBackup, ["PEER_FOLDER"] = folder,
        }, null, server, ct);
        var inFiles = dbs.Sum(db => Peers.DocsInBackup(Path.Combine(folder, db + ".txt")));
        Print("couchbackup, defaults, a shell loop", total, inFiles, loop.Elapsed, loop.ServerCpu, loop.PeakRss, "largest of its node processes");

        var registry = new ReplicationRegistry();
        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        var tasks = new List<CouchReplicationTask>();
        foreach (var db in dbs)
            tasks.Add((await registry.StartAsync(new CouchReplicationDoc
            {
                Source = client.DbUrl(db), Target = Path.Combine(folder, db + ".couchdb"), CreateTarget = true,
            }, ct: ct)).Task);
        long written = 0;
        foreach (var task in tasks) written += (await task.GetResultAsync().WaitAsync(ct)).DocsWritten;
        var usage = await monitor.StopAsync();
        Print($"engine, scheduler (MaxJobs {registry.MaxJobs}), every backup queued at once", total, written, usage.Elapsed, usage.ServerCpu,
            usage.PeakWorkingSet, "this benchmark process, from the start of the backups");
        Console.WriteLine($"  engine / couchbackup loop: docs/s {loop.Elapsed / usage.Elapsed:N2}x, peak RSS {(double)usage.PeakWorkingSet / loop.PeakRss:N2}x");
    }

    private static void Print(string name, long total, long arrived, TimeSpan elapsed, TimeSpan? serverCpu, long peakRss, string whose) =>
        Console.WriteLine($"  {name}: {total / elapsed.TotalSeconds:N0} docs/s, {elapsed.TotalSeconds:N1} s, server CPU "
            + (serverCpu is { } cpu ? $"{cpu.TotalSeconds:N1} s ({cpu.TotalMilliseconds * 1000 / total:N0} ms/1000 docs)" : "n/a")
            + $", peak RSS {peakRss / 1048576.0:N0} MiB ({whose}), "
            + (arrived == total ? "complete" : $"INCOMPLETE: {arrived:N0} of {total:N0}"));
}
