using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// A replication of this session as a PowerShell job (<c>Start-CouchReplication -AsJob</c>):
/// Get-Job lists it, Wait-Job waits for it, Receive-Job gives its CouchReplicationResult, its
/// warnings (refused documents, restarts) and verbose lines, and the error of a failed run;
/// Stop-Job stops it with a final checkpoint; Remove-Job forgets it. The same replication stays
/// visible to Get-CouchActiveTask and Stop-CouchReplication.
/// </summary>
public sealed class CouchReplicationJob : Job
{
    /// <summary>How often the job moves the replication's messages into its streams.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>How long Stop-Job waits for the final checkpoint.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(60);

    private readonly object _finishing = new();
    private bool _finished;

    internal CouchReplicationJob(CouchReplicationTask replication, string command, string? name)
        : base(command, string.IsNullOrEmpty(name) ? null : name)
    {
        Replication = replication;
        PSJobTypeName = nameof(CouchReplicationJob);
        SetJobState(JobState.Running);
        _ = FollowAsync();
    }

    /// <summary>The replication the job runs, as Get-CouchActiveTask shows it.</summary>
    public CouchReplicationTask Replication { get; }

    /// <summary>Whether Receive-Job has anything left to give.</summary>
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0 || Verbose.Count > 0 || Debug.Count > 0;

    /// <summary>Where the replication runs: in this session's engine.</summary>
    public override string Location => "this session";

    /// <summary>The replication's state and progress on one line.</summary>
    public override string StatusMessage => Replication.ToString();

    /// <summary>Stop-Job: the replication stops, writes its final checkpoint, and the job ends Stopped.</summary>
    public override void StopJob()
    {
        Replication.Stop();
        ((IAsyncResult)Replication.Completion).AsyncWaitHandle.WaitOne(StopWait);
        Finish();
    }

    /// <summary>Remove-Job -Force on a running job stops its replication first.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !Replication.IsFinished) Replication.Stop();
        base.Dispose(disposing);
    }

    /// <summary>Moves the replication's messages into the job's streams until it ends, then its outcome.</summary>
    private async Task FollowAsync()
    {
        while (!Replication.Completion.IsCompleted)
        {
            await Task.WhenAny(Replication.Completion, Task.Delay(Poll)).ConfigureAwait(false);
            TakeMessages();
        }
        Finish();
    }

    private void TakeMessages()
    {
        while (Replication.TryTakeMessage(out var message))
            if (message.IsWarning) Warning.Add(new WarningRecord(message.Text));
            else if (message.IsDebug) Debug.Add(new DebugRecord(message.Text));
            else Verbose.Add(new VerboseRecord(message.Text));
    }

    /// <summary>
    /// Writes the outcome and the final state, once, whether the run ended or Stop-Job ended it. A
    /// lock, not a flag: Stop-Job returns only once the state is final, even when the follower
    /// got here first and is still writing it.
    /// </summary>
    private void Finish()
    {
        lock (_finishing)
        {
            if (_finished) return;
            _finished = true;
            WriteOutcome();
        }
    }

    private void WriteOutcome()
    {
        TakeMessages();
        if (Replication.Result is { } result)
        {
            Output.Add(PSObject.AsPSObject(result));
            SetJobState(JobState.Completed);
        }
        else if (Replication.Error is { } error && Replication.State == CouchReplicationState.Failed)
        {
            Error.Add(PSValues.ErrorRecord(error, Replication.Target));
            SetJobState(JobState.Failed);
        }
        else
        {
            SetJobState(JobState.Stopped);
        }
    }
}
