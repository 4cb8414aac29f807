using System.Diagnostics;
using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// The progress bar of a replication waited for: <c>host/db -> host/db</c> as the activity, which
/// fits a terminal where two full URLs do not; state, documents written and changes pending as the
/// status; percent and time remaining where the source says how many changes are pending.
/// </summary>
internal sealed class ReplicationProgress(string source, string target)
{
    private readonly Stopwatch _running = new();
    private long _checkedAtStart;

    /// <summary>The activity: <c>host:port/db -> host:port/db</c>, no scheme, no user info.</summary>
    public string Activity { get; } = $"{Short(source)} -> {Short(target)}";

    /// <summary>A new record each time: a host may keep every record it is given.</summary>
    public ProgressRecord Record(CouchActiveTask active)
    {
        var status = active.QueuePosition is { } place
            ? $"Pending: #{place} in the queue (Get-CouchReplicationOption)"
            : $"{active.State}: {active.DocsWritten} documents written, {active.ChangesPending?.ToString() ?? "?"} changes pending";
        return new ProgressRecord(1, Activity, status)
        {
            PercentComplete = active.Progress ?? -1,
            SecondsRemaining = SecondsRemaining(active),
        };
    }

    /// <summary>The last record, marked Completed so the host removes the bar.</summary>
    public ProgressRecord Completed(ProgressRecord? last) =>
        new(1, Activity, last?.StatusDescription ?? "Done") { PercentComplete = last?.PercentComplete ?? -1, RecordType = ProgressRecordType.Completed };

    /// <summary>Pending changes at the rate revisions were checked since the run began; -1 (unknown) before there is a rate.</summary>
    private int SecondsRemaining(CouchActiveTask active)
    {
        if (active.State != CouchReplicationState.Running)
        {
            _running.Reset();
            return -1;
        }
        if (!_running.IsRunning)
        {
            _running.Start();
            _checkedAtStart = active.RevisionsChecked;
            return -1;
        }
        var rate = (active.RevisionsChecked - _checkedAtStart) / _running.Elapsed.TotalSeconds;
        return active.ChangesPending is { } pending && rate > 0 && _running.Elapsed >= TimeSpan.FromSeconds(1)
            ? (int)Math.Min(int.MaxValue, Math.Ceiling(pending / rate))
            : -1;
    }

    /// <summary><c>host:port/db</c> of a URL; what is not a URL, as it is.</summary>
    public static string Short(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority + Uri.UnescapeDataString(uri.AbsolutePath.TrimEnd('/')) : url;
}
