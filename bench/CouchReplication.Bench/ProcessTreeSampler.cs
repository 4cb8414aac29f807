using System.Globalization;

namespace CouchReplication.Bench;

/// <summary>
/// The peak resident memory and the CPU time of a child process and its descendants (Linux,
/// /proc), for processes this one did not write: node running PouchDB or couchbackup, dotnet
/// running pwsh. .NET gives no rusage of a child that has exited, so the tree is sampled every
/// <see cref="Interval"/>: each process's VmHWM is the kernel's own peak (no short peak between
/// samples escapes it), but growth in a process's last <see cref="Interval"/> is missed, and so is
/// the CPU after its last sample. Elsewhere the figures stay 0.
/// </summary>
internal sealed class ProcessTreeSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly int _root;
    private readonly Dictionary<int, (long PeakBytes, long CpuTicks)> _seen = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    private ProcessTreeSampler(int root)
    {
        _root = root;
        _sampling = SampleAsync();
    }

    public static ProcessTreeSampler Start(int pid) => new(pid);

    /// <summary>The largest peak of any one process of the tree: a shell loop's runs are one after another.</summary>
    public long PeakBytes => _seen.Values.Select(p => p.PeakBytes).DefaultIfEmpty(0).Max();

    /// <summary>The CPU time of every process of the tree, as last sampled.</summary>
    public TimeSpan Cpu => TimeSpan.FromSeconds(_seen.Values.Sum(p => p.CpuTicks) / (double)ClockTicksPerSecond);

    /// <summary>Linux's USER_HZ, which /proc/PID/stat counts in: 100 on every architecture .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        do Sample(_root);
        while (await Tick(timer));
    }

    private async Task<bool> Tick(PeriodicTimer timer)
    {
        try { return await timer.WaitForNextTickAsync(_stop.Token); }
        catch (OperationCanceledException) { return false; }
    }

    private void Sample(int pid)
    {
        try
        {
            var peak = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
                ? long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 : 0;
            // utime and stime are fields 14 and 15; the command name before them, in parentheses, may hold spaces.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cpu = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var known = _seen.GetValueOrDefault(pid);
            _seen[pid] = (Math.Max(known.PeakBytes, peak), Math.Max(known.CpuTicks, cpu));
            foreach (var child in File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Sample(int.Parse(child, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Gone meanwhile, or not Linux.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
