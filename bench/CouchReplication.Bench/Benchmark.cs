using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CouchReplication.Bench;

/// <summary>
/// One benchmark run: seed the source, copy it three ways (engine, server replicator, raw copy) into
/// fresh targets, the engine and the raw copy each warmed up in a process of its own so each phase's
/// memory is its own, then the continuous latency and the idle cost; each figure is printed as soon
/// as it is measured, the comparison at the end of the copies.
/// </summary>
internal sealed class Benchmark(CouchClient client, Process? server, BenchOptions options, string dbPrefix, CancellationToken ct)
{
    private static readonly TimeSpan QuietLimit = TimeSpan.FromMinutes(5);
    private const int WarmUpDocs = 20_000;
    private const long WarmUpBytes = 64L << 20;
    private bool _isCouchDb;

    public async Task RunAsync()
    {
        string serverName;
        (_isCouchDb, serverName) = await client.IdentifyAsync();
        Print($"CouchReplication benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Print($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        Print($"server:  {serverName} at {client.Root}");
        // Other processes on the machine skew every figure: say how busy it was before we started.
        await using (var before = ResourceMonitor.Start(interval: null))
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            Print($"machine busy before the run: {Percent((await before.StopAsync()).MachineBusy)}");
        }

        if (new[] { "engine", "server", "raw", "compare", "backup", "steps" }.Any(options.Runs)) await CopiesAsync();
        if (options.Runs("latency")) await LatenciesAsync();
        if (options.Runs("idle")) await IdleAsync();
        if (options.Runs("many")) await ManyAsync();
        if (options.Runs("cmdlet")) await CmdletOneShot.MeasureAsync(client, server, options, dbPrefix, QuietLimit, ct);
        if (options.Runs("peers")) await PeersAsync();
        if (options.Runs("peers-many")) await ManyBackupsAsync();
    }

    private async Task ManyBackupsAsync()
    {
        EnsurePeersInstalled();
        using var files = new BackupFolder();
        await ManyBackups.MeasureAsync(client, server, options, dbPrefix, files.Path, ct);
    }

    private static void EnsurePeersInstalled()
    {
        if (!PeerProcess.Installed)
            throw new InvalidOperationException($"phases peers and peers-many need the pinned peers: npm ci --prefix bench/peers (none in {PeerProcess.Folder})");
    }

    /// <summary>PouchDB and couchbackup against the engine and the cmdlet on a source of their own (<see cref="Peers"/>).</summary>
    private async Task PeersAsync()
    {
        EnsurePeersInstalled();
        var sourceDb = dbPrefix + "peers-source";
        (await client.PutAsync(sourceDb)).Dispose();
        var seed = await new Seeder(options).SeedAsync(client, sourceDb);
        Print();
        Print($"peers' source: {seed.Docs:N0} docs x {options.Size:N0} B, {options.Attachments} attachment(s) of {options.AttachmentSize:N0} B each");
        using var files = new BackupFolder();
        await new Peers(client, server, options, dbPrefix, QuietLimit, ct).MeasureAsync(sourceDb, await WarmUpAsync(), files.Path);
    }

    private async Task ManyAsync()
    {
        Print();
        Print($"many: {options.ManyDatabases:N0} databases x {options.ManyDocs} docs, every replication queued at once");
        var sources = await ManyDatabases.SeedAsync(client, dbPrefix, options.ManyDatabases, options.ManyDocs, ct);
        var engine = await ManyDatabases.EngineAsync(client, server, sources, options.ManyDocs, options.MaxJobs, ct);
        PrintMany(engine);
        if (!_isCouchDb)
        {
            Print("  server replicator: skipped on pouchdb-server (no _scheduler to wait on)");
            return;
        }
        await client.WaitUntilQuietAsync(QuietLimit);
        var own = await ManyDatabases.ServerAsync(client, server, sources, options.ManyDocs, ct);
        PrintMany(own);
        Print($"  engine vs server replicator: {engine.DocsPerSecond / own.DocsPerSecond:N2}x");
    }

    private static void PrintMany(ManyDatabases.Outcome run)
    {
        var u = run.Usage;
        Print($"  {run.Name}: {u.Elapsed.TotalSeconds:N1} s, {run.DocsPerSecond:N0} docs/s, {run.Failed} of {run.Databases:N0} failed, "
              + $"server CPU {(u.ServerCpu is { } cpu ? $"{cpu.TotalSeconds:N1} s" : "n/a")}"
              + (run.PeakSockets > 0 ? $", peak {run.PeakSockets} sockets" : "")
              + $", peak working set {Mib(u.PeakWorkingSet)}, heap {Mib(u.PeakHeap)}");
    }

    private async Task CopiesAsync()
    {
        var sourceDb = dbPrefix + "source";
        (await client.PutAsync(sourceDb)).Dispose();
        var seed = await new Seeder(options).SeedAsync(client, sourceDb);
        Print();
        Print($"data:    {seed.Docs:N0} docs x {options.Size:N0} B, {options.Attachments} attachment(s) of {options.AttachmentSize:N0} B each, "
              + $"{options.ConflictPercent}% conflicted: {seed.Revisions:N0} leaf revisions");
        Print($"seeding: {seed.Docs / seed.Elapsed.TotalSeconds:N0} docs/s in {seed.Elapsed.TotalSeconds:N1} s "
              + $"(write only: _bulk_docs new_edits:false, {Seeder.DocsPerRequest(options)} docs per request, {options.RawParallel} in flight)");

        var warmUpDb = Copies("engine") || options.Runs("raw") ? await WarmUpAsync() : "";
        using var files = new BackupFolder();

        var runs = new Dictionary<string, OneShotRun>();
        foreach (var phase in new[] { "engine", "server", "raw" }.Where(Copies))
        {
            var targetDb = dbPrefix + "target-" + phase;
            (await client.PutAsync(targetDb)).Dispose();
            await client.WaitUntilQuietAsync(QuietLimit);
            var run = phase == "server"
                ? await ServersOwnReplicator.RunAsync(client, server, sourceDb, targetDb, options)
                : await PhaseProcess.RunAsync(phase, client, server?.Id, options, sourceDb, targetDb, warmUpDb, ct);
            runs[phase] = run;
            Print($"  {run.Name}: {run.DocsPerSecond:N0} docs/s, {run.Usage.Elapsed.TotalSeconds:N1} s"
                  + (run.RevisionsWritten == seed.Revisions ? "" : $"  WARNING: {run.RevisionsWritten:N0} of {seed.Revisions:N0} revisions written"));
        }

        Print();
        // CPU per 1000 docs (server + this process) is what a shared machine's noise moves least.
        Print($"{"one-shot copy",-44} {"docs/s",9} {"seconds",8} {"bench CPU",10} {"server CPU",11} {"CPU ms/1000 docs",17} {"machine busy",13} {"peak WS",9} {"peak heap",10}");
        foreach (var (phase, run) in runs)
        {
            var u = run.Usage;
            var perThousand = u.ServerCpu is { } serverCpu ? ((serverCpu + u.ProcessCpu).TotalMilliseconds * 1000 / run.Docs).ToString("N0", CultureInfo.InvariantCulture) : "n/a";
            // The server's replicator runs in the server: this process only waits for it.
            var memory = phase == "server" ? $"{"n/a",9} {"n/a",10}" : $"{Mib(u.PeakWorkingSet),9} {Mib(u.PeakHeap),10}";
            Print($"{run.Name,-44} {run.DocsPerSecond,9:N0} {u.Elapsed.TotalSeconds,8:N1} {u.ProcessCpu.TotalSeconds,9:N1}s "
                  + $"{Seconds(u.ServerCpu),11} {perThousand,17} {Percent(u.MachineBusy),13} {memory}");
        }
        var engine = runs.GetValueOrDefault("engine");
        var serverRun = runs.GetValueOrDefault("server");
        var raw = runs.GetValueOrDefault("raw");
        if (engine is not null && serverRun is not null) Print($"engine / server replicator: {engine.DocsPerSecond / serverRun.DocsPerSecond:N2}x");
        if (engine is not null && raw is not null) Print($"engine / raw copy limit:    {engine.DocsPerSecond / raw.DocsPerSecond:P0}");
        if (serverRun is not null && raw is not null) Print($"server / raw copy limit:    {serverRun.DocsPerSecond / raw.DocsPerSecond:P0}");
        if (engine is not null)
        {
            var u = engine.Usage;
            Print($"engine memory (its own process): peak working set {Mib(u.PeakWorkingSet)}, peak managed heap {Mib(u.PeakHeap)}, "
                  + $"allocated {Mib(u.AllocatedBytes)} ({u.AllocatedBytes / engine.Docs / 1024.0:N1} KiB per doc), GCs gen0/1/2 {u.Gen0}/{u.Gen1}/{u.Gen2}, peak threads {u.PeakThreads}");
        }
        if (options.Runs("steps")) await StepsAsync(sourceDb, seed.Docs, engine, serverRun);
        if (options.Runs("compare") && engine is not null) await ComparesAsync(sourceDb, dbPrefix + "target-engine", engine, seed.Revisions);
        if (options.Runs("backup") && engine is not null) await BackupAndRestoreAsync(sourceDb, warmUpDb, files.Path, engine, seed.Revisions);
    }

    /// <summary>
    /// What each step of a copy costs the server (<see cref="StepCosts"/>), and the least of them
    /// against what the engine's and the server replicator's copies cost it in this run.
    /// </summary>
    private async Task StepsAsync(string sourceDb, int docs, OneShotRun? engine, OneShotRun? serverRun)
    {
        await client.WaitUntilQuietAsync(QuietLimit);
        var batch = options.BatchSize ?? 500;
        var steps = await StepCosts.MeasureAsync(client, server, sourceDb, dbPrefix, batch, ct);
        Print();
        Print("what each step of a copy costs the server, one request at a time:");
        Print($"{"step",-48} {"requests",9} {"seconds",8} {"server CPU",11} {"server CPU ms/1000 docs",24}");
        foreach (var step in steps)
            Print($"{step.Name,-48} {step.Requests,9:N0} {step.Usage.Elapsed.TotalSeconds,8:N1} {Seconds(step.Usage.ServerCpu),11} {PerThousand(step.Usage.ServerCpu, docs),24}");
        var least = steps.Where(s => s.PartOfTheLeast).Select(s => s.Usage.ServerCpu).Aggregate((TimeSpan?)TimeSpan.Zero, (sum, cpu) => sum + cpu);
        Print($"the least a copy asks of the server (_changes + _bulk_get + _bulk_docs, batches of {batch}): {PerThousand(least, docs)} ms per 1,000 docs"
              + (engine is null ? "" : $"; the engine's copy: {PerThousand(engine.Usage.ServerCpu, docs)}")
              + (serverRun is null ? "" : $"; the server's replicator: {PerThousand(serverRun.Usage.ServerCpu, docs)}")
              + (serverRun?.Usage.ServerCpu is { } own && engine?.Usage.ServerCpu is { } engines
                  ? $". The server's replicator costs the server {own / engines:N2}x what the engine's copy does: with the server the bottleneck, the engine's lead is at most that" : ""));
    }

    private static string Seconds(TimeSpan? cpu) => cpu is { } c ? c.TotalSeconds.ToString("N1", CultureInfo.InvariantCulture) + "s" : "n/a";

    private static string PerThousand(TimeSpan? cpu, int docs) => cpu is { } c ? (c.TotalMilliseconds * 1000 / docs).ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>The engine copy runs for the compare and backup phases too: they are measured against it.</summary>
    private bool Copies(string phase) => options.Runs(phase) || phase == "engine" && (options.Runs("compare") || options.Runs("backup"));

    /// <summary>
    /// A backup (the source into a database file) and a restore (the file into a new database), each
    /// in a process of its own as the engine's copy is, against that copy's speed; then the file's
    /// size against the source's after compaction (CouchDB reports it; pouchdb-server does not).
    /// </summary>
    private async Task BackupAndRestoreAsync(string sourceDb, string warmUpDb, string folder, OneShotRun copy, long revisions)
    {
        var file = System.IO.Path.Combine(folder, "backup.couchdb");
        var restoredDb = dbPrefix + "target-restore";
        await client.WaitUntilQuietAsync(QuietLimit);
        var backup = await PhaseProcess.RunAsync("engine", client, server?.Id, options, sourceDb, file, warmUpDb, ct);
        (await client.PutAsync(restoredDb)).Dispose();
        await client.WaitUntilQuietAsync(QuietLimit);
        // The restore warms up on the file the backup's warm-up wrote.
        var restore = await PhaseProcess.RunAsync("engine", client, server?.Id, options, file, restoredDb, file + "-warm-up", ct);

        Print();
        Print($"{"database file (SQLite)",-44} {"docs/s",9} {"seconds",8} {"bench CPU",10} {"server CPU",11} {"vs server copy",15} {"peak WS",9} {"peak heap",10}");
        foreach (var (name, run) in new[] { ("backup: server -> file", backup), ("restore: file -> new database", restore) })
        {
            var u = run.Usage;
            Print($"{name,-44} {run.DocsPerSecond,9:N0} {u.Elapsed.TotalSeconds,8:N1} {u.ProcessCpu.TotalSeconds,9:N1}s "
                  + $"{Seconds(u.ServerCpu),11} {run.DocsPerSecond / copy.DocsPerSecond,15:P0} "
                  + $"{Mib(u.PeakWorkingSet),9} {Mib(u.PeakHeap),10}"
                  + (run.RevisionsWritten == revisions ? "" : $"  WARNING: {run.RevisionsWritten:N0} of {revisions:N0} revisions written"));
        }
        var fileBytes = new[] { file, file + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
        var compacted = await client.CompactedSizeAsync(sourceDb, QuietLimit);
        Print($"file size: {Mib(fileBytes)}" + (compacted is { } size
            ? $"; the source after compaction: {Mib(size)} ({(double)fileBytes / size:N2}x)"
            : "; the source's size after compaction: n/a (the server does not report sizes.file)"));
    }

    /// <summary>A temporary folder for the backup phase's files, removed with them.</summary>
    private sealed class BackupFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("couchreplication-bench-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>
    /// Compare-CouchDatabase on the source and the engine's (complete) copy: the revision level,
    /// then -Deep, each timed against the copy it checks.
    /// </summary>
    private async Task ComparesAsync(string sourceDb, string targetDb, OneShotRun copy, long revisions)
    {
        Print();
        Print($"{"comparison of the source with the engine's copy",-48} {"docs/s",9} {"seconds",8} {"bench CPU",10} {"server CPU",11} {"vs the copy",12} {"differences",12}");
        foreach (var deep in new[] { false, true })
        {
            await client.WaitUntilQuietAsync(QuietLimit);
            var run = await EngineCompare.RunAsync(client, server, sourceDb, targetDb, options, deep, ct);
            var u = run.Usage;
            Print($"{run.Name,-48} {run.DocsPerSecond,9:N0} {u.Elapsed.TotalSeconds,8:N1} {u.ProcessCpu.TotalSeconds,9:N1}s "
                  + $"{Seconds(u.ServerCpu),11} "
                  + $"{copy.Usage.Elapsed / u.Elapsed,11:N1}x {run.Summary.Differences,12:N0}"
                  + (run.Summary.RevisionsChecked == revisions ? "" : $"  WARNING: {run.Summary.RevisionsChecked:N0} of {revisions:N0} revisions checked"));
        }
    }

    /// <summary>
    /// The engine and the raw copy each run in a process of their own (<see cref="PhaseProcess"/>),
    /// which first copies this small database, untimed, so neither pays for .NET compiling the HTTP
    /// and JSON code. It has the source's kind of documents, at most 20,000 of them and at most
    /// 64 MiB of attachments.
    /// </summary>
    private Task<string> WarmUpAsync() => _warmUp ??= SeedWarmUpAsync();

    /// <summary>The warm-up database, seeded once for every phase that warms up on it.</summary>
    private Task<string>? _warmUp;

    private async Task<string> SeedWarmUpAsync()
    {
        var docBytes = options.Size + (long)options.Attachments * options.AttachmentSize;
        var warm = options with { Docs = (int)Math.Clamp(WarmUpBytes / docBytes, 1, Math.Min(options.Docs, WarmUpDocs)) };
        var sourceDb = dbPrefix + "warm-up-source";
        (await client.PutAsync(sourceDb)).Dispose();
        await new Seeder(warm).SeedAsync(client, sourceDb);
        // The comparison runs in this process: it warms up on the warm-up database compared with itself.
        if (options.Runs("compare")) await EngineCompare.RunAsync(client, server, sourceDb, sourceDb, warm, deep: true, ct);
        Print($"warm-up: the engine's and the raw copy's processes first copy {warm.Docs:N0} docs each{(options.Runs("compare") ? ", and this process compares them" : "")}, not counted");
        return sourceDb;
    }

    private async Task LatenciesAsync()
    {
        Print();
        Print($"continuous latency, {options.LatencyWrites} single writes, from sending the write to the document in the target's changes feed:");
        var engineSource = dbPrefix + "latency-source-engine";
        var engineTarget = dbPrefix + "latency-target-engine";
        (await client.PutAsync(engineSource)).Dispose();
        (await client.PutAsync(engineTarget)).Dispose();
        var doc = new CouchReplicationDoc { Source = client.DbUrl(engineSource), Target = client.DbUrl(engineTarget), Continuous = true };
        var registry = new ReplicationRegistry();
        try
        {
            await registry.StartAsync(doc, ct: ct);
            PrintLatency(await ContinuousLatency.MeasureAsync("engine", client, engineSource, engineTarget, options.LatencyWrites, ct));
        }
        finally
        {
            registry.StopAll(TimeSpan.FromSeconds(30));
        }

        if (!_isCouchDb)
        {
            // pouchdb-server's _replicate cancel does not stop a continuous replication (about_CouchReplication_ServerMode).
            Print("  server replicator: skipped on pouchdb-server (its continuous _replicate cannot be cancelled)");
            return;
        }
        var serverSource = dbPrefix + "latency-source-server";
        var serverTarget = dbPrefix + "latency-target-server";
        (await client.PutAsync(serverSource)).Dispose();
        (await client.PutAsync(serverTarget)).Dispose();
        var id = await ServersOwnReplicator.StartContinuousAsync(client, serverSource, serverTarget, options);
        try
        {
            PrintLatency(await ContinuousLatency.MeasureAsync("server replicator", client, serverSource, serverTarget, options.LatencyWrites, ct));
        }
        finally
        {
            await ServersOwnReplicator.CancelAsync(client, id);
        }
    }

    private async Task IdleAsync()
    {
        Print();
        var idle = await IdleCost.MeasureAsync(client, dbPrefix, options, ct);
        var u = idle.Usage;
        Print($"idle: {idle.Replications} continuous engine replications ({idle.StillRunning} running at the end), {u.Elapsed.TotalSeconds:N0} s window: "
              + $"{idle.CpuMsPerSecond:N1} ms CPU per second ({u.ProcessCores:P1} of a core); without replications {idle.BaselineCpuMsPerSecond:N1} ms/s; "
              + $"{idle.MicrosecondsPerReplication:N0} µs/s per replication");
        Print($"      process working set {Mib(u.PeakWorkingSet)}, {u.PeakThreads} threads, allocated {u.AllocatedBytes / 1024.0 / u.Elapsed.TotalSeconds:N0} KiB/s, GCs gen0/1/2 {u.Gen0}/{u.Gen1}/{u.Gen2}");
    }

    private static void PrintLatency(LatencyResult result) =>
        Print($"  {result.Name}: p50 {result.Percentile(50):N0} ms, p95 {result.Percentile(95):N0} ms, max {result.Milliseconds.Max():N0} ms");

    private static string Mib(long bytes) => $"{bytes / 1048576.0:N0} MiB";

    private static string Percent(double? share) => share is { } s ? s.ToString("P0", CultureInfo.InvariantCulture) : "n/a";

    private static void Print(string line = "") => Console.WriteLine(line);
}
