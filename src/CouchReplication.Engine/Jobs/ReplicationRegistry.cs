using CouchReplication.Document;
using CouchReplication.Http;
using CouchReplication.Jobs;
using CouchReplication.Protocol;



namespace CouchReplication;

/// <summary>
/// The replications of this session: every task started, waited for or not, until it has been
/// finished for a while. Starting a replication whose task is already running gives the running
/// task instead of a second copy. Its scheduler runs at most <see cref="MaxJobs"/> at once; the
/// others wait, Pending, in the order they were started.
/// </summary>
public sealed class ReplicationRegistry
{
    /// <summary>
    /// Finished tasks kept for <c>Get-CouchActiveTask -All</c>: enough for a migration of a
    /// server's databases to be checked afterwards for any that failed.
    /// </summary>
    private const int MaxFinishedKept = 10_000;

    private readonly List<CouchReplicationTask> _tasks = [];
    private readonly ReplicationScheduler _scheduler = new();

    static ReplicationRegistry()
    {
        // Leaving the session must not hang on a continuous replication, nor lose its last checkpoint.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Session.StopAll(TimeSpan.FromSeconds(5));
    }

    /// <summary>The registry of this process (one PowerShell session).</summary>
    public static ReplicationRegistry Session { get; } = new();

    /// <summary>
    /// How many replications run at once (default 20); the others wait in state Pending. A
    /// continuous replication counts while it catches up, not once it only follows new changes.
    /// Fewer run against a server that answers with 5xx or 429 until its answers are clean again.
    /// </summary>
    public int MaxJobs
    {
        get => _scheduler.MaxJobs;
        set => _scheduler.MaxJobs = value;
    }

    /// <summary>
    /// How often a one-shot replication started from now on is restarted after a transient crash
    /// before it is Failed (default 5: after 2, 4, 8, 16 and 32 s); 0 fails it at the first crash.
    /// A continuous replication restarts for as long as it is not stopped.
    /// </summary>
    public int MaxRestarts
    {
        get => _maxRestarts;
        set => _maxRestarts = value >= 0 ? value : throw CouchReplicationException.InvalidArgument("MaxRestarts", $"must be at least 0, not {value}");
    }

    private int _maxRestarts = ReplicationSettings.DefaultOneShotRestarts;

    /// <summary>
    /// Checks the document (nothing is sent for an invalid one), identifies the replication (a
    /// filter function's source is fetched for that), and starts it, unless the same task is
    /// running already: then that one is returned with <c>AlreadyRunning</c> set.
    /// </summary>
    /// <param name="doc">The replication document.</param>
    /// <param name="skipCertificateCheck">Accept any TLS certificate from source and target (for self-signed test servers); warns.</param>
    /// <param name="narrateRequests">Tell each HTTP request and its answer among the task's messages (<see cref="ReplicationMessage.IsDebug"/>), URLs redacted.</param>
    /// <param name="ct">Cancels the start (not the replication).</param>
    public async Task<(CouchReplicationTask Task, bool AlreadyRunning)> StartAsync(CouchReplicationDoc doc, bool skipCertificateCheck = false,
        bool narrateRequests = false, CancellationToken ct = default) =>
        await StartAsync(ReplicationSettings.From(doc, skipCertificateCheck) with { OneShotRestarts = MaxRestarts, NarrateRequests = narrateRequests }, ct);

    internal async Task<(CouchReplicationTask Task, bool AlreadyRunning)> StartAsync(ReplicationSettings settings, CancellationToken ct = default)
    {
        var checkpointId = await ReplicationIdentity.ComputeAsync(settings, ct);
        var taskId = ReplicationIdentity.TaskId(checkpointId, settings.Continuous, settings.CreateTarget);
        lock (_tasks)
        {
            if (_tasks.FirstOrDefault(t => t.ReplicationId == taskId && !t.IsFinished) is { } running) return (running, true);
            var task = CouchReplicationTask.Start(settings, checkpointId, _scheduler);
            _tasks.Add(task);
            var finished = _tasks.Where(t => t.IsFinished).ToList();
            foreach (var old in finished.Take(Math.Max(0, finished.Count - MaxFinishedKept))) _tasks.Remove(old);
            return (task, false);
        }
    }

    /// <summary>
    /// Asks both databases what a replication asks first: that the source exists and takes the
    /// credentials, and that the target does too or may be created (nothing is created). For a
    /// replication started in the background, so that a wrong password or a typo in a database
    /// name fails the command that started it rather than a task nobody waits for.
    /// </summary>
    /// <param name="doc">The replication document.</param>
    /// <param name="skipCertificateCheck">Accept any TLS certificate from source and target.</param>
    /// <param name="ct">Cancels the check.</param>
    public static Task CheckEndsAsync(CouchReplicationDoc doc, bool skipCertificateCheck = false, CancellationToken ct = default) =>
        ReplicationEnds.CheckAsync(ReplicationSettings.From(doc, skipCertificateCheck), ct);

    /// <summary>The task id a document's replication has, for stopping it by the same document.</summary>
    public async Task<string> TaskIdOfAsync(CouchReplicationDoc doc, CancellationToken ct = default)
    {
        var settings = ReplicationSettings.From(doc);
        return ReplicationIdentity.TaskId(await ReplicationIdentity.ComputeAsync(settings, ct), settings.Continuous, settings.CreateTarget);
    }

    /// <summary>The session's tasks, oldest first; finished ones only when asked for.</summary>
    public IReadOnlyList<CouchReplicationTask> Tasks(bool includeFinished)
    {
        lock (_tasks) return _tasks.Where(t => includeFinished || !t.IsFinished).ToList();
    }

    /// <summary>
    /// Stops every running task, waits up to <paramref name="wait"/> for their final checkpoints,
    /// then closes the connections no replication uses any more (the module's pools outlive
    /// replications for a while, for the next one to the same server).
    /// </summary>
    public void StopAll(TimeSpan wait)
    {
        var running = Tasks(includeFinished: false);
        foreach (var task in running) task.Stop();
        try
        {
            Task.WaitAll(running.Select(t => (Task)t.Completion).ToArray(), wait);
        }
        catch (AggregateException)
        {
            // Stopped tasks end cancelled; that is what was asked for.
        }
        ServerConnections.CloseUnused();
    }
}
