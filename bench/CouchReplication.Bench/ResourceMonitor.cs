using System.Diagnostics;

namespace CouchReplication.Bench;

/// <summary>What this process, the server and the machine spent during one measurement.</summary>
internal sealed record ResourceUsage(
    TimeSpan Elapsed, TimeSpan ProcessCpu, TimeSpan? ServerCpu, double? MachineBusy, long PeakWorkingSet, long PeakHeap,
    long AllocatedBytes, int Gen0, int Gen1, int Gen2, int PeakThreads)
{
    /// <summary>This process's CPU as a share of one core.</summary>
    public double ProcessCores => ProcessCpu / Elapsed;
}

/// <summary>
/// Measures a phase: this process's CPU time, GC allocations and collections, and its peak
/// working set and managed heap, sampled every <c>interval</c> (the process-wide peak would
/// include the seeding). On Linux the peak working set is the kernel's own (VmHWM, reset when the
/// measurement starts), which no short peak between samples escapes. Without an interval only the start and the end are sampled: an idle
/// measurement must not pay for the sampling, which costs a few milliseconds of CPU a second.
/// When the server's process is known, its CPU time too: on a machine shared with other work,
/// CPU per document is the figure that noise does not move. On Linux, how busy the whole machine
/// was, from /proc/stat: with the server on the same cores, that says whether a phase was CPU-bound.
/// </summary>
internal sealed class ResourceMonitor : IAsyncDisposable
{
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly Process? _server;
    private readonly TimeSpan? _interval;
    private readonly Stopwatch _clock;
    private readonly TimeSpan _cpuAtStart;
    private readonly TimeSpan? _serverCpuAtStart;
    private readonly long _allocatedAtStart;
    private readonly int[] _collectionsAtStart;
    private readonly (long Busy, long Total)? _machineAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly bool _kernelPeak;
    private long _peakWorkingSet, _peakHeap;
    private int _peakThreads;

    private ResourceMonitor(TimeSpan? interval, Process? server)
    {
        _interval = interval;
        _server = server;
        // Garbage left by an earlier phase is not this phase's memory.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _process.Refresh();
        _cpuAtStart = _process.TotalProcessorTime;
        _serverCpuAtStart = ServerCpu();
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        _machineAtStart = MachineCpu();
        _kernelPeak = ResetKernelPeak();
        Sample();
        _clock = Stopwatch.StartNew();
        _sampler = SampleAsync();
    }

    public static ResourceMonitor Start(TimeSpan? interval, Process? server = null) => new(interval, server);

    public async Task<ResourceUsage> StopAsync()
    {
        var elapsed = _clock.Elapsed;
        await _stop.CancelAsync();
        await _sampler;
        Sample();
        if (_kernelPeak && KernelPeak() is { } peak) _peakWorkingSet = Math.Max(_peakWorkingSet, peak);
        _process.Refresh();
        var machine = MachineCpu();
        double? busy = machine is { } end && _machineAtStart is { } start && end.Total > start.Total
            ? (double)(end.Busy - start.Busy) / (end.Total - start.Total) : null;
        return new ResourceUsage(elapsed, _process.TotalProcessorTime - _cpuAtStart, ServerCpu() - _serverCpuAtStart, busy,
            _peakWorkingSet, _peakHeap, GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart,
            GC.CollectionCount(0) - _collectionsAtStart[0], GC.CollectionCount(1) - _collectionsAtStart[1],
            GC.CollectionCount(2) - _collectionsAtStart[2], _peakThreads);
    }

    private async Task SampleAsync()
    {
        if (_interval is not { } interval) return;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Sample();
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Sample()
    {
        _process.Refresh();
        _peakWorkingSet = Math.Max(_peakWorkingSet, Environment.WorkingSet);
        _peakThreads = Math.Max(_peakThreads, _process.Threads.Count);
        _peakHeap = Math.Max(_peakHeap, GC.GetTotalMemory(forceFullCollection: false));
    }

    /// <summary>Resets this process's VmHWM to its current resident size (<c>/proc/self/clear_refs</c>, value 5); false where it cannot.</summary>
    private static bool ResetKernelPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return KernelPeak() is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>VmHWM from /proc/self/status, in bytes.</summary>
    private static long? KernelPeak() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
        && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out var kib) ? kib * 1024 : null;

    private TimeSpan? ServerCpu()
    {
        if (_server is null) return null;
        _server.Refresh();
        return _server.TotalProcessorTime;
    }

    /// <summary>Busy and total jiffies of all cores from /proc/stat's first line; null where there is none.</summary>
    private static (long Busy, long Total)? MachineCpu()
    {
        if (!File.Exists("/proc/stat")) return null;
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4]; // idle + iowait
        var total = fields.Take(8).Sum();  // user nice system idle iowait irq softirq steal (guest time is already in user)
        return (total - idle, total);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
        _process.Dispose();
    }
}
