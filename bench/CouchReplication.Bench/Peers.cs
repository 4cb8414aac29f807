using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>
/// The replicators a user would pick instead (#32), on one source in one run: copies by PouchDB's
/// <c>replicate()</c> (defaults, then tuned) against the engine (its own warmed-up process) and
/// the cmdlet in a fresh pwsh; backups by couchbackup (defaults, then tuned) against the engine
/// and the cmdlet into a database file; then each backup restored into a new database. Every
/// target is counted: a figure for an incomplete copy is worthless.
/// </summary>
internal sealed class Peers(CouchClient client, Process? server, BenchOptions options, string dbPrefix, TimeSpan quietLimit, CancellationToken ct)
{
    /// <summary>couchbackup's tuning: twice its default of 5 requests in flight.</summary>
    private const int TunedParallelism = 10;

    /// <summary>PouchDB's batches_limit stays its default: it reads ahead, but writes one batch at a time whatever it is.</summary>
    private const int TunedBatchesLimit = 10;

    /// <summary>
    /// One measured run: which job (copy, backup, restore), by whom, what arrived and what it cost.
    /// <paramref name="Ours"/> marks the engine's and the cmdlet's runs, which the ratios set against the peers'.
    /// </summary>
    private sealed record Row(string Job, string Name, bool Ours, long Arrived, TimeSpan Elapsed, TimeSpan? ServerCpu, TimeSpan ClientCpu,
        long PeakRss, string Note = "");

    private readonly List<Row> _rows = [];

    /// <summary>The tuned batch: the raw copy's (1,000 documents, fewer where their attachments would pass 4 MiB).</summary>
    private int TunedBatch => Seeder.DocsPerRequest(options);

    public async Task MeasureAsync(string sourceDb, string warmUpDb, string folder)
    {
        var docs = options.Docs;
        var module = options.Module ?? CmdletOneShot.BuiltModule;
        Print();
        Print($"peers: {docs:N0} docs, the same source for each; PouchDB {Version("pouchdb")} and couchbackup {Version("@cloudant/couchbackup")} from bench/peers, "
              + "each a fresh node process timed from start to exit; the engine warmed up in a process of its own; the cmdlet a fresh pwsh");

        // Copies, CouchDB to CouchDB.
        await PouchAsync("PouchDB replicate(), defaults (batch_size 100, batches_limit 10)", sourceDb, []);
        await PouchAsync($"PouchDB replicate(), batch_size {TunedBatch}, batches_limit {TunedBatchesLimit}", sourceDb,
            ["--batch-size", Invariant(TunedBatch), "--batches-limit", Invariant(TunedBatchesLimit)]);
        var engineCopy = await NewDbAsync("engine");
        await EngineAsync("copy", "engine, its own process (warm)", sourceDb, engineCopy, warmUpDb);
        await CmdletAsync("copy", client.DbUrl(sourceDb), await NewDbAsync("cmdlet"), module);

        // Backups into files, then each restored into a new database.
        var attachments = options.Attachments > 0 ? new[] { "--attachments" } : [];
        var tuned = new[] { "--parallelism", Invariant(TunedParallelism), "--buffer-size", Invariant(TunedBatch) };
        var defaultBackup = Path.Combine(folder, "couchbackup-defaults.txt");
        var tunedBackup = Path.Combine(folder, "couchbackup-tuned.txt");
        var engineFile = Path.Combine(folder, "engine.couchdb");
        var cmdletFile = Path.Combine(folder, "cmdlet.couchdb");
        var defaultName = $"couchbackup, defaults (parallelism 5, buffer-size 500){Flag(attachments)}";
        var tunedName = $"couchbackup, parallelism {TunedParallelism}, buffer-size {TunedBatch}{Flag(attachments)}";
        await CouchBackupAsync(defaultName, sourceDb, defaultBackup, attachments);
        await CouchBackupAsync(tunedName, sourceDb, tunedBackup, [.. attachments, .. tuned]);
        await EngineAsync("backup", "engine into a file, its own process (warm)", sourceDb, engineFile, warmUpDb);
        await CmdletAsync("backup", client.DbUrl(sourceDb), cmdletFile, module);

        await CouchRestoreAsync(defaultName.Replace("couchbackup", "couchrestore"), defaultBackup, attachments);
        await CouchRestoreAsync(tunedName.Replace("couchbackup", "couchrestore"), tunedBackup, [.. attachments, .. tuned]);
        // The restore warms up on the file the backup's warm-up wrote, as phase backup's does.
        await EngineAsync("restore", "engine from the file, its own process (warm)", engineFile, await NewDbAsync("restore-engine"), engineFile + "-warm-up");
        await CmdletAsync("restore", cmdletFile, await NewDbAsync("restore-cmdlet"), module);

        PrintTable(docs);
    }

    private async Task PouchAsync(string name, string sourceDb, string[] arguments)
    {
        var target = await NewDbAsync($"pouchdb-{_rows.Count}");
        var run = await PeerProcess.RunAsync(PeerProcess.Replicate, arguments,
            new Dictionary<string, string> { ["PEER_SOURCE"] = client.DbUrl(sourceDb), ["PEER_TARGET"] = client.DbUrl(target) }, null, server, ct);
        using var reported = JsonDocument.Parse(run.Output.Trim().Split('\n')[^1]);
        var failures = reported.RootElement.GetProperty("doc_write_failures").GetInt64();
        await AddAsync("copy", name, false, run, await DocCountAsync(target), (failures > 0 ? $"{failures} write failures " : "") + await AttachmentsNoteAsync(target));
    }

    private async Task CouchBackupAsync(string name, string sourceDb, string file, string[] arguments)
    {
        var run = await PeerProcess.RunAsync(PeerProcess.CouchBackup, ["--quiet", "--output", file, "--log", file + ".log", .. arguments],
            CouchEnvironment(sourceDb), null, server, ct);
        await AddAsync("backup", name, false, run, DocsInBackup(file));
    }

    private async Task CouchRestoreAsync(string name, string file, string[] arguments)
    {
        var target = await NewDbAsync($"couchrestore-{_rows.Count}");
        var run = await PeerProcess.RunAsync(PeerProcess.CouchRestore, ["--quiet", .. arguments], CouchEnvironment(target), file, server, ct);
        await AddAsync("restore", name, false, run, await DocCountAsync(target), await AttachmentsNoteAsync(target));
    }

    /// <summary>The server's URL, with its credentials, and the database, in couchbackup's environment variables.</summary>
    private Dictionary<string, string> CouchEnvironment(string db) => new() { ["COUCH_URL"] = client.ServerUrl.AbsoluteUri, ["COUCH_DATABASE"] = db };

    private async Task AddAsync(string job, string name, bool ours, PeerRun run, long arrived, string note = "")
    {
        _rows.Add(new Row(job, name, ours, arrived, run.Elapsed, run.ServerCpu, run.PeerCpu, run.PeakRss, note));
        Print($"  {job} {name}: {options.Docs / run.Elapsed.TotalSeconds:N0} docs/s, {run.Elapsed.TotalSeconds:N1} s, {arrived:N0} arrived {note}");
        await client.WaitUntilQuietAsync(quietLimit);
    }

    /// <summary>The engine's copy in a process of its own; a database target is counted, a file's count is the engine's own.</summary>
    private async Task EngineAsync(string job, string name, string source, string target, string warmUp)
    {
        var run = await PhaseProcess.RunAsync("engine", client, server?.Id, options, source, target, warmUp, ct);
        var u = run.Usage;
        var toFile = EngineOneShot.IsFile(target);
        var count = toFile ? run.RevisionsWritten : await DocCountAsync(target);
        var note = toFile ? "" : await AttachmentsNoteAsync(target);
        _rows.Add(new Row(job, name, true, count, u.Elapsed, u.ServerCpu, u.ProcessCpu, u.PeakWorkingSet, note));
        Print($"  {job} {name}: {run.DocsPerSecond:N0} docs/s, {u.Elapsed.TotalSeconds:N1} s, {count:N0} arrived {note}");
        await client.WaitUntilQuietAsync(quietLimit);
    }

    /// <summary>
    /// The cmdlet in a fresh pwsh into <paramref name="target"/>, a database name or a file's path
    /// (created with -CreateTarget); a database is counted, a file's count is the cmdlet's own.
    /// </summary>
    private async Task CmdletAsync(string job, string source, string target, string module)
    {
        var toFile = EngineOneShot.IsFile(target);
        var run = await CmdletOneShot.RunAsync(server, module, source, toFile ? target : client.DbUrl(target), options.Docs, createTarget: toFile, ct);
        var arrived = toFile ? run.DocsWritten : await DocCountAsync(target);
        var note = toFile ? "" : await AttachmentsNoteAsync(target);
        var way = toFile ? " into a file" : EngineOneShot.IsFile(source) ? " from the file" : "";
        _rows.Add(new Row(job, $"Start-CouchReplication{way}, fresh pwsh (start included)", true, arrived,
            run.Process, run.ServerCpu, run.PwshCpu, run.PeakRss, note));
        Print($"  {job} cmdlet: {run.DocsPerSecond:N0} docs/s, {run.Process.TotalSeconds:N1} s (the call alone {run.Copy.TotalSeconds:N1} s), {arrived:N0} arrived {note}");
        await client.WaitUntilQuietAsync(quietLimit);
    }

    private async Task<string> NewDbAsync(string name)
    {
        var db = $"{dbPrefix}peers-{name}";
        (await client.PutAsync(db)).Dispose();
        return db;
    }

    private async Task<long> DocCountAsync(string db)
    {
        using var info = await client.GetAsync(db);
        return info.RootElement.GetProperty("doc_count").GetInt64();
    }

    /// <summary>
    /// With attachments seeded: how many of the target's documents have every one of them, at its
    /// length, read from <c>_all_docs</c> (stubs); empty otherwise.
    /// </summary>
    private async Task<string> AttachmentsNoteAsync(string db)
    {
        if (options.Attachments == 0) return "";
        using var all = await client.GetAsync($"{db}/_all_docs?include_docs=true", TimeSpan.FromMinutes(10));
        var whole = all.RootElement.GetProperty("rows").EnumerateArray().Count(row =>
            row.GetProperty("doc").TryGetProperty("_attachments", out var atts)
            && atts.EnumerateObject().Count(a => a.Value.TryGetProperty("length", out var length) && length.GetInt64() == options.AttachmentSize) == options.Attachments);
        return $"(attachments whole on {whole:N0})";
    }

    /// <summary>The documents in a couchbackup file: after its header line, each line is a JSON array of them.</summary>
    public static long DocsInBackup(string file) =>
        File.ReadLines(file).Skip(1).Where(line => line.Length > 0).Sum(line =>
        {
            using var batch = JsonDocument.Parse(line);
            return (long)batch.RootElement.GetArrayLength();
        });

    private void PrintTable(int docs)
    {
        Print();
        Print($"{"",-8} {"",-72} {"docs/s",8} {"seconds",8} {"server CPU",11} {"server ms/1000 docs",20} {"client CPU",11} {"peak RSS",9} {"complete",9}");
        foreach (var row in _rows)
        {
            var complete = row.Arrived == docs ? "yes" : $"NO {row.Arrived:N0}";
            Print($"{row.Job,-8} {row.Name,-72} {docs / row.Elapsed.TotalSeconds,8:N0} {row.Elapsed.TotalSeconds,8:N1} {Seconds(row.ServerCpu),11} "
                  + $"{PerThousand(row.ServerCpu, docs),20} {row.ClientCpu.TotalSeconds,10:N1}s {Mib(row.PeakRss),9} {complete,9} {row.Note}");
        }
        Print("ours / peer, in docs/s and in peak RSS (a run whose target is incomplete is left out):");
        foreach (var job in _rows.Select(r => r.Job).Distinct())
            foreach (var ours in _rows.Where(r => r.Job == job && r.Ours && r.Arrived == docs))
                foreach (var peer in _rows.Where(r => r.Job == job && !r.Ours && r.Arrived == docs))
                    Print($"  {job}: {ours.Name} / {peer.Name}: docs/s {peer.Elapsed / ours.Elapsed:N2}x, peak RSS {(double)ours.PeakRss / peer.PeakRss:N2}x");
    }

    /// <summary>The installed version of a peer, from its package.json.</summary>
    private static string Version(string package)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(PeerProcess.Folder, "node_modules", package, "package.json")));
        return manifest.RootElement.GetProperty("version").GetString()!;
    }

    private static string Flag(string[] attachments) => attachments.Length > 0 ? ", --attachments" : "";

    private static string Invariant(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan? cpu) => cpu is { } c ? c.TotalSeconds.ToString("N1", CultureInfo.InvariantCulture) + "s" : "n/a";

    private static string PerThousand(TimeSpan? cpu, int docs) => cpu is { } c ? (c.TotalMilliseconds * 1000 / docs).ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    private static string Mib(long bytes) => $"{bytes / 1048576.0:N0} MiB";

    private static void Print(string line = "") => Console.WriteLine(line);
}
