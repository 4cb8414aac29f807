using System.Globalization;

namespace CouchReplication.Bench;

/// <summary>The command line: which server, what data, which measurements.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/CouchReplication.Bench -- (--url URL | --couchdb) [options]

          --url URL               server root with admin credentials, e.g. http://admin:pw@127.0.0.1:5984/
          --couchdb               start a throwaway Apache CouchDB from /opt/couchdb instead, configured as the test
                                  suites' (tests/server/throwaway.js, run with Node.js; deleted afterwards)
          --server-pid PID        the server's process, to report its CPU time per phase (known with --couchdb)
          --docs N                documents to seed (default 10000)
          --size BYTES            JSON size of each document, attachments aside (default 1024)
          --attachments K         inline attachments per document (default 0)
          --attachment-size BYTES size of each attachment (default 4096)
          --conflicts PCT         percentage of documents given a second, conflicting leaf (default 0)
          --workers N             worker_processes for the engine and the server's replicator (default: theirs, 4)
          --batch-size N          worker_batch_size for both (default: theirs, 500)
          --raw-parallel N        concurrent batches in the raw copy (default 4)
          --raw-batch-size N      documents per batch in the raw copy and the seeding (default 1000;
                                  fewer where their attachments would pass 4 MiB)
          --latency-writes N      writes timed for the continuous latency (default 200)
          --idle-replications N   continuous replications left idle for the CPU measurement (default 100)
          --idle-seconds S        length of the idle window (default 30)
          --many-dbs D            databases in the many phase (default 1000)
          --many-docs K           documents in each of them (default 20)
          --max-jobs N            the engine scheduler's MaxJobs in the many phase (default: the module's)
          --cmdlet-docs LIST      documents copied in the cmdlet phase, one run per size (default 20000; e.g. 20000,100000)
          --module PATH           the module the cmdlet phase imports (default: out/CouchReplication/CouchReplication.psd1,
                                  as the build assembles it)
          --phases LIST           any of engine,server,raw,steps,compare,backup,latency,idle,many,cmdlet,peers,peers-many (default: all but the peers); steps
                                  times each request a copy makes (changes, revs_diff, bulk_get, bulk_docs) one at a
                                  time on the source, with the server's CPU for each; compare
                                  times Compare-CouchDatabase (revision level, then -Deep) on the engine's copy, copying
                                  first; backup copies the source into a database file and restores that file into a new
                                  database, each against the engine's server-to-server copy, and sizes the file;
                                  peers copies with PouchDB's replicate(), backs up and restores with couchbackup, each
                                  against the engine and the cmdlet (needs npm ci --prefix bench/peers); peers-many
                                  backs up --many-dbs databases of --many-docs docs with couchbackup in a shell loop
                                  and with the engine's scheduler, each into files
          --help                  this text

        The engine and raw copy phases each run in a child process (this program with --measure PHASE
        --source-db DB --target-db DB --warm-up-db DB, the server URL in its environment), so each
        phase's peak memory is its own.
        """;

    public static readonly string[] AllPhases = ["engine", "server", "raw", "steps", "compare", "backup", "latency", "idle", "many", "cmdlet", "peers", "peers-many"];

    public Uri? Url { get; init; }
    public bool StartCouchDb { get; init; }
    public int? ServerPid { get; init; }
    public int Docs { get; init; } = 10_000;
    public int Size { get; init; } = 1024;
    public int Attachments { get; init; }
    public int AttachmentSize { get; init; } = 4096;
    public int ConflictPercent { get; init; }
    public int? Workers { get; init; }
    public int? BatchSize { get; init; }
    public int RawParallel { get; init; } = 4;
    public int RawBatchSize { get; init; } = 1000;
    public int LatencyWrites { get; init; } = 200;
    public int IdleReplications { get; init; } = 100;
    public int IdleSeconds { get; init; } = 30;
    public int ManyDatabases { get; init; } = 1000;
    public int ManyDocs { get; init; } = 20;
    public int? MaxJobs { get; init; }
    public IReadOnlyList<int> CmdletDocs { get; init; } = [20_000];
    public string? Module { get; init; }
    /// <summary>Every phase but the peers', which need the Node.js packages of bench/peers installed.</summary>
    public IReadOnlySet<string> Phases { get; init; } = AllPhases.Where(p => !p.StartsWith("peers", StringComparison.Ordinal)).ToHashSet();

    /// <summary>Set in a child process that measures one copy (<see cref="PhaseProcess"/>).</summary>
    public MeasuredCopy? Measure { get; init; }

    public bool Runs(string phase) => Phases.Contains(phase);

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with the reason.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Number(int minimum) =>
                int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= minimum
                    ? n : throw new ArgumentException($"{args[i - 1]} needs a whole number of at least {minimum}");
            options = args[i] switch
            {
                "--url" => options with { Url = ServerUrl(Value()) },
                "--couchdb" => options with { StartCouchDb = true },
                "--server-pid" => options with { ServerPid = Number(1) },
                "--docs" => options with { Docs = Number(1) },
                "--size" => options with { Size = Number(0) },
                "--attachments" => options with { Attachments = Number(0) },
                "--attachment-size" => options with { AttachmentSize = Number(1) },
                "--conflicts" => options with { ConflictPercent = Number(0) is var p and <= 100 ? p : throw new ArgumentException("--conflicts is a percentage, 0 to 100") },
                "--workers" => options with { Workers = Number(1) },
                "--batch-size" => options with { BatchSize = Number(1) },
                "--raw-parallel" => options with { RawParallel = Number(1) },
                "--raw-batch-size" => options with { RawBatchSize = Number(1) },
                "--latency-writes" => options with { LatencyWrites = Number(1) },
                "--idle-replications" => options with { IdleReplications = Number(1) },
                "--idle-seconds" => options with { IdleSeconds = Number(1) },
                "--many-dbs" => options with { ManyDatabases = Number(1) },
                "--many-docs" => options with { ManyDocs = Number(1) },
                "--max-jobs" => options with { MaxJobs = Number(1) },
                "--cmdlet-docs" => options with { CmdletDocs = Sizes(Value(), "--cmdlet-docs") },
                "--module" => options with { Module = ModuleManifest(Value()) },
                "--phases" => options with { Phases = PhaseList(Value()) },
                "--measure" => options with { Measure = (options.Measure ?? new MeasuredCopy()) with { Phase = MeasuredPhase(Value()) } },
                "--source-db" => options with { Measure = (options.Measure ?? new MeasuredCopy()) with { SourceDb = Value() } },
                "--target-db" => options with { Measure = (options.Measure ?? new MeasuredCopy()) with { TargetDb = Value() } },
                "--warm-up-db" => options with { Measure = (options.Measure ?? new MeasuredCopy()) with { WarmUpDb = Value() } },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }
        if (options.Measure is { } measure)
            return measure.Phase.Length > 0 && measure.SourceDb.Length > 0 && measure.TargetDb.Length > 0 && measure.WarmUpDb.Length > 0
                ? options with { Url = PhaseProcess.ServerUrlFromParent() ?? throw new ArgumentException("--measure is for the benchmark's own child processes") }
                : throw new ArgumentException("--measure needs --source-db, --target-db and --warm-up-db");
        if ((options.Url is null) == !options.StartCouchDb)
            throw new ArgumentException("give exactly one of --url and --couchdb");
        return options;
    }

    private static Uri ServerUrl(string text) =>
        Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url : throw new ArgumentException($"'{text}' is not an http(s) URL");

    private static string ModuleManifest(string path) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new ArgumentException($"--module: there is no file {path}");

    private static List<int> Sizes(string text, string option)
    {
        var sizes = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return sizes.Count > 0 && sizes.All(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0)
            ? sizes.Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList()
            : throw new ArgumentException($"{option} needs whole numbers of at least 1, separated by commas");
    }

    private static string MeasuredPhase(string text) => text is "engine" or "raw" ? text : throw new ArgumentException("--measure takes engine or raw");

    private static HashSet<string> PhaseList(string text)
    {
        var phases = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var unknown = phases.Except(AllPhases).ToList();
        return unknown.Count == 0 ? phases : throw new ArgumentException($"unknown phase(s) {string.Join(", ", unknown)}; known: {string.Join(",", AllPhases)}");
    }
}

/// <summary>The copy a child process measures: which phase, from which database to which, warmed up on which.</summary>
internal sealed record MeasuredCopy(string Phase = "", string SourceDb = "", string TargetDb = "", string WarmUpDb = "");
