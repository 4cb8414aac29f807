using System.Text.Json;
using CouchReplication;

// Runs one one-shot replication, from COUCH_REPLICATE_SOURCE to COUCH_REPLICATE_TARGET (in the
// environment: the URLs carry credentials; either may be a database file's path;
// COUCH_REPLICATE_SELECTOR, a selector), through the engine's public API as the cmdlets do, and
// prints one JSON line: the result's counters, the process's peak working set and the GC heap limit
// it ran under. A test starts it with the limits it sets (DOTNET_GCHeapHardLimit); an out-of-memory
// failure ends it with a non-zero exit code.
// COUCH_REPLICATE_CHECKPOINT_INTERVAL, _WORKER_BATCH_SIZE and _WORKER_PROCESSES set those fields;
// with COUCH_REPLICATE_REPORT_CHECKPOINTS set, a line {"checkpointed": seq} is printed each time
// a checkpoint is written, for a test that kills the process after one (KilledBackupTests).
var doc = new CouchReplicationDoc
{
    Source = Environment.GetEnvironmentVariable("COUCH_REPLICATE_SOURCE"),
    Target = Environment.GetEnvironmentVariable("COUCH_REPLICATE_TARGET"),
    CreateTarget = true,
    CheckpointInterval = Number("COUCH_REPLICATE_CHECKPOINT_INTERVAL"),
    WorkerBatchSize = Number("COUCH_REPLICATE_WORKER_BATCH_SIZE"),
    WorkerProcesses = Number("COUCH_REPLICATE_WORKER_PROCESSES"),
};
if (Environment.GetEnvironmentVariable("COUCH_REPLICATE_SELECTOR") is { } selector) doc.SetField("selector", selector);
var (task, _) = await new ReplicationRegistry().StartAsync(doc);
var completion = task.GetResultAsync();
if (Environment.GetEnvironmentVariable("COUCH_REPLICATE_REPORT_CHECKPOINTS") is not null)
{
    string? reported = null;
    while (!completion.IsCompleted)
    {
        var active = task.ToActiveTask();
        var seq = active.CheckpointedSourceSeq;
        if (reported is null) reported = seq;
        else if (seq != reported)
        {
            reported = seq;
            Console.WriteLine(JsonSerializer.Serialize(new { checkpointed = seq, docs_written = active.DocsWritten, at = DateTime.UtcNow.ToString("HH:mm:ss.fff") }));
        }
        await Task.WhenAny(completion, Task.Delay(20));
    }
}
var result = await completion;
var history = result.History[0];
Console.WriteLine(JsonSerializer.Serialize(new
{
    docs_read = history.DocsRead,
    docs_written = history.DocsWritten,
    doc_write_failures = history.DocWriteFailures,
    peak_working_set = PeakWorkingSet(),
    heap_limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
}));
return 0;

static int? Number(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var n) ? n : null;

// The kernel's peak resident size (VmHWM), in bytes; where there is none, the working set now.
static long PeakWorkingSet() =>
    File.Exists("/proc/self/status")
    && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
    && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out var kib)
        ? kib * 1024
        : Environment.WorkingSet;
