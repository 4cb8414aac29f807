using System.Collections.Concurrent;
using CouchReplication.Document;
using CouchReplication.Jobs;
using CouchReplication.Protocol;

namespace CouchReplication;

/// <summary>
/// A replication running in this session's engine: its live state and counters, its messages,
/// and a way to stop it. Start one through <see cref="ReplicationRegistry"/>;
/// <see cref="Completion"/> gives a one-shot replication's result.
/// </summary>
public sealed class CouchReplicationTask : IReplicationObserver
{
    private const int MaxMessages = 1000;

    /// <summary>Messages a finished task keeps: the last words, for the thousands a migration leaves behind.</summary>
    private const int MaxMessagesFinished = 100;
    private readonly ReplicationSettings _settings;
    private readonly ReplicationScheduler _scheduler;
    private readonly ReplicationStats _stats = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ReplicationMessage> _messages = new();
    private volatile CouchReplicationState _state = CouchReplicationState.Pending;
    private volatile CouchReplicationException? _error;
    private volatile ReplicationScheduler.Slot? _slot;
    private long _updatedTicks;
    private Task<CouchReplicationResult> _run;

    private CouchReplicationTask(ReplicationSettings settings, string checkpointId, ReplicationScheduler scheduler)
    {
        _settings = settings;
        _scheduler = scheduler;
        CheckpointId = checkpointId;
        ReplicationId = ReplicationIdentity.TaskId(checkpointId, settings.Continuous, settings.CreateTarget);
        StartedOn = DateTimeOffset.UtcNow;
        _updatedTicks = StartedOn.UtcTicks;
        _run = Task.FromException<CouchReplicationResult>(new InvalidOperationException("The replication has not started."));
        Completion = _run;
    }

    internal static CouchReplicationTask Start(ReplicationSettings settings, string checkpointId, ReplicationScheduler scheduler)
    {
        var task = new CouchReplicationTask(settings, checkpointId, scheduler);
        foreach (var warning in settings.Warnings) task.Enqueue(new ReplicationMessage(true, warning));
        // Called here, not on the thread pool: the task takes its place in the scheduler's queue
        // before Start returns, so a queue of tasks started in order keeps that order.
        task._run = task.RunAsync();
        task.Completion = Untyped(task._run);
        return task;
    }

    /// <summary>
    /// The task id, as <c>_active_tasks</c> shows it: the replication id followed by
    /// <c>+continuous</c> and <c>+create_target</c> where they apply.
    /// </summary>
    public string ReplicationId { get; }

    /// <summary>The bare replication id, which names the checkpoint documents <c>_local/&lt;id&gt;</c>.</summary>
    public string CheckpointId { get; }

    /// <summary>The current state.</summary>
    public CouchReplicationState State => _state;

    /// <summary>True once the task has completed, failed or stopped.</summary>
    public bool IsFinished => _state is CouchReplicationState.Completed or CouchReplicationState.Failed or CouchReplicationState.Stopped;

    /// <summary>The source URL, password masked.</summary>
    public string Source => _settings.Source.Redacted;

    /// <summary>The target URL, password masked.</summary>
    public string Target => _settings.Target.Redacted;

    /// <summary>Whether the replication is continuous.</summary>
    public bool Continuous => _settings.Continuous;

    /// <summary>When the task started.</summary>
    public DateTimeOffset StartedOn { get; }

    /// <summary>The error that failed the task, or the last one that made it crash and restart.</summary>
    public CouchReplicationException? Error => _error;

    /// <summary>
    /// Completes when the task ends: successfully when the replication completed, faulted with the
    /// error that ended it, or cancelled when it was stopped. Its result is <see cref="Result"/>.
    /// </summary>
    /// <remarks>
    /// A task without a result on purpose: serializers that read every property (ConvertTo-Json,
    /// Format-List *) would block on a running replication's <c>Task&lt;T&gt;.Result</c>.
    /// </remarks>
    public Task Completion { get; private set; }

    /// <summary>A one-shot replication's result once it has completed; null before, and when it failed or was stopped.</summary>
    public CouchReplicationResult? Result => _run.IsCompletedSuccessfully ? _run.Result : null;

    /// <summary>
    /// The replication's result: completes when a one-shot replication completes, fails with the
    /// error that ended the task, or is cancelled when the task is stopped.
    /// </summary>
    public Task<CouchReplicationResult> GetResultAsync() => _run;

    /// <summary>For a Pending task: its place in the scheduler's queue (1 runs next); null otherwise.</summary>
    public int? QueuePosition => _state == CouchReplicationState.Pending ? _scheduler.PositionOf(this) : null;

    /// <summary>docs_read so far: revisions read from the source.</summary>
    public long DocsRead => _stats.DocsRead;

    /// <summary>docs_written so far: revisions the target took.</summary>
    public long DocsWritten => _stats.DocsWritten;

    /// <summary>doc_write_failures so far: revisions the target refused.</summary>
    public long DocWriteFailures => _stats.DocWriteFailures;

    /// <summary>changes_pending, when the source reports it.</summary>
    public long? ChangesPending => _stats.ChangesPending;

    /// <summary>Asks the replication to stop; it writes a final checkpoint and ends in state Stopped.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Takes the next message for the user, if there is one.</summary>
    public bool TryTakeMessage(out ReplicationMessage message) => _messages.TryDequeue(out message!);

    /// <summary>The task as <c>_active_tasks</c> would show it, as of now.</summary>
    public CouchActiveTask ToActiveTask() => new()
    {
        ReplicationId = ReplicationId,
        State = _state,
        QueuePosition = QueuePosition,
        Source = Source,
        Target = Target,
        Continuous = _settings.Continuous,
        DocsRead = _stats.DocsRead,
        DocsWritten = _stats.DocsWritten,
        DocWriteFailures = _stats.DocWriteFailures,
        MissingRevisionsFound = _stats.MissingRevisionsFound,
        RevisionsChecked = _stats.RevisionsChecked,
        ChangesPending = _stats.ChangesPending,
        SourceSeq = _stats.SourceSeq.ToString(),
        CheckpointedSourceSeq = _stats.CheckpointedSourceSeq.ToString(),
        ThroughSeq = _stats.ThroughSeq.ToString(),
        StartedOn = StartedOn,
        UpdatedOn = new DateTimeOffset(Interlocked.Read(ref _updatedTicks), TimeSpan.Zero),
        CheckpointInterval = (int)_settings.CheckpointInterval.TotalMilliseconds,
        Error = _error?.Message,
    };

    /// <summary>Id, state and progress on one line.</summary>
    public override string ToString() => ToActiveTask().ToString();

    /// <summary>
    /// Runs the replication when the scheduler gives it a turn. A run that fails transiently
    /// (server down, network, 5xx after the per-request retries) makes the task Crashing: it gives
    /// its turn back, waits a delay that doubles each time, and runs again from its checkpoint;
    /// a continuous replication for as long as it is not stopped, a one-shot one
    /// <see cref="ReplicationSettings.OneShotRestarts"/> times before it fails. Anything else ends the task.
    /// </summary>
    private async Task<CouchReplicationResult> RunAsync()
    {
        var restarts = RestartPolicy.For<CouchReplicationResult>(_settings.RestartDelay, _settings.MaxRestartDelay,
            _settings.Continuous ? int.MaxValue : _settings.OneShotRestarts,
            e => e is CouchReplicationException { IsTransient: true } && !_stop.IsCancellationRequested,
            (e, delay) =>
            {
                _error = (CouchReplicationException)e;
                _state = CouchReplicationState.Crashing;
                Touch();
                Enqueue(new ReplicationMessage(true, $"Replication {ReplicationId} crashed ({e.Message}); restarting in {delay.TotalSeconds:0.#} s"));
            });
        try
        {
            var result = await restarts.ExecuteAsync(RunOnceAsync, _stop.Token);
            result.Duration = DateTimeOffset.UtcNow - StartedOn;
            _state = CouchReplicationState.Completed;
            return result;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _state = CouchReplicationState.Stopped;
            throw;
        }
        catch (CouchReplicationException e)
        {
            throw Fail(e);
        }
        catch (Exception e)
        {
            throw Fail(new CouchReplicationException(CouchErrorKind.Unexpected, $"The replication failed unexpectedly: {e.Message}", innerException: e));
        }
        finally
        {
            Touch();
            while (_messages.Count > MaxMessagesFinished) _messages.TryDequeue(out _);
        }
    }

    /// <summary>One run, in a turn of the scheduler's; the turn is given back however the run ends.</summary>
    private async ValueTask<CouchReplicationResult> RunOnceAsync(CancellationToken ct)
    {
        if (_state == CouchReplicationState.Crashing) _state = CouchReplicationState.Pending;
        var slot = await _scheduler.WaitTurnAsync(this, [_settings.Source.Server, _settings.Target.Server], ct);
        _slot = slot;
        try
        {
            ct.ThrowIfCancellationRequested();
            _state = CouchReplicationState.Initializing;
            Touch();
            var result = await new ReplicationRun(_settings, CheckpointId, _stats, this).RunAsync(ct);
            slot.Release();
            return result;
        }
        catch (CouchReplicationException e) when (e.IsTransient)
        {
            // 5xx, 429 and silence are a server asking for less: the scheduler runs fewer jobs against it for a while.
            slot.Release(overloaded: e.StatusCode is null or 429 or >= 500);
            throw;
        }
        finally
        {
            slot.Release();
            _slot = null;
        }
    }

    /// <summary>The same outcome as <paramref name="run"/>, on a task whose runtime type has no blocking Result property.</summary>
    private static Task Untyped(Task<CouchReplicationResult> run)
    {
        var done = new TaskCompletionSource();
        run.ContinueWith(t =>
        {
            if (t.IsCanceled) done.SetCanceled();
            else if (t.Exception is { } e) done.SetException(e.InnerExceptions);
            else done.SetResult();
        }, TaskScheduler.Default);
        return done.Task;
    }

    private CouchReplicationException Fail(CouchReplicationException error)
    {
        _error = error;
        _state = CouchReplicationState.Failed;
        return error;
    }

    private void Touch() => Interlocked.Exchange(ref _updatedTicks, DateTimeOffset.UtcNow.UtcTicks);

    /// <summary>Nobody may be reading the messages of a background task: keep only the newest.</summary>
    private void Enqueue(ReplicationMessage message)
    {
        _messages.Enqueue(message);
        while (_messages.Count > MaxMessages) _messages.TryDequeue(out _);
    }

    void IReplicationObserver.Verbose(string message)
    {
        Touch();
        Enqueue(new ReplicationMessage(false, message));
    }

    void IReplicationObserver.Warning(string message) => Enqueue(new ReplicationMessage(true, message));

    void IReplicationObserver.Debug(string message) => Enqueue(new ReplicationMessage(false, message) { IsDebug = true });

    void IReplicationObserver.Running()
    {
        _state = CouchReplicationState.Running;
        _error = null;
    }

    /// <summary>A continuous replication that only follows new changes gives its turn to the next job, as its load is light.</summary>
    void IReplicationObserver.CaughtUp() => _slot?.Release();
}
