using System.Collections.Concurrent;
using CouchReplication.Protocol;

namespace CouchReplication;

/// <summary>
/// A replication running in the engine: start it from a document, watch its state and counters,
/// take its messages, stop it. <see cref="Completion"/> gives the result.
/// </summary>
public sealed class ReplicationJob : IReplicationObserver
{
    private const int MaxMessages = 1000;
    private readonly ReplicationSettings _settings;
    private readonly ReplicationStats _stats = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ReplicationMessage> _messages = new();
    private volatile CouchReplicationState _state = CouchReplicationState.Initializing;
    private volatile string? _replicationId;
    private long _updatedTicks;

    private ReplicationJob(ReplicationSettings settings)
    {
        _settings = settings;
        StartedOn = DateTimeOffset.UtcNow;
        _updatedTicks = StartedOn.UtcTicks;
        Completion = Task.FromException<CouchReplicationResult>(new InvalidOperationException("The replication has not started."));
    }

    /// <summary>
    /// Checks the document (an invalid one throws a <see cref="CouchReplicationException"/> of kind
    /// InvalidArgument before anything is sent) and starts the replication in the background.
    /// </summary>
    public static ReplicationJob Start(CouchReplicationDoc doc) => Start(ReplicationSettings.From(doc));

    internal static ReplicationJob Start(ReplicationSettings settings)
    {
        if (settings.Continuous)
            throw CouchReplicationException.InvalidArgument("continuous",
                "continuous replication in the module's engine is not available in this version (issue #4); run it on a server with -Server once that exists (issue #7)");
        var job = new ReplicationJob(settings);
        foreach (var warning in settings.Warnings) ((IReplicationObserver)job).Warning(warning);
        job.Completion = Task.Run(job.RunAsync);
        return job;
    }

    /// <summary>Completes with the result, or fails with the error that ended the replication (cancelled when stopped).</summary>
    public Task<CouchReplicationResult> Completion { get; private set; }

    /// <summary>The current state.</summary>
    public CouchReplicationState State => _state;

    /// <summary>The replication id, once the source has been checked (null before).</summary>
    public string? ReplicationId => _replicationId;

    /// <summary>The task id: the replication id with <c>+continuous</c> / <c>+create_target</c>.</summary>
    public string? TaskId => _replicationId is { } id ? ReplicationIdentity.TaskId(id, _settings.Continuous, _settings.CreateTarget) : null;

    /// <summary>The source URL, password masked.</summary>
    public string Source => _settings.Source.Redacted;

    /// <summary>The target URL, password masked.</summary>
    public string Target => _settings.Target.Redacted;

    /// <summary>Whether the replication is continuous.</summary>
    public bool Continuous => _settings.Continuous;

    /// <summary>When the job started.</summary>
    public DateTimeOffset StartedOn { get; }

    /// <summary>The error that failed the job, if it failed.</summary>
    public CouchReplicationException? Error { get; private set; }

    /// <summary>Asks the replication to stop; it writes a final checkpoint and ends in state Stopped.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Takes the next message for the user, if there is one.</summary>
    public bool TryTakeMessage(out ReplicationMessage message) => _messages.TryDequeue(out message!);

    /// <summary>The job as <c>_active_tasks</c> would show it, as of now.</summary>
    public CouchActiveTask ToActiveTask() => new()
    {
        ReplicationId = TaskId,
        State = _state,
        Source = Source,
        Target = Target,
        Continuous = _settings.Continuous,
        DocsRead = _stats.DocsRead,
        DocsWritten = _stats.DocsWritten,
        DocWriteFailures = _stats.DocWriteFailures,
        MissingRevisionsFound = _stats.MissingRevisionsFound,
        RevisionsChecked = _stats.RevisionsChecked,
        ChangesPending = _stats.ChangesPending,
        SourceSeq = _stats.SourceSeq?.ToString(),
        CheckpointedSourceSeq = _stats.CheckpointedSourceSeq?.ToString(),
        ThroughSeq = _stats.ThroughSeq?.ToString(),
        StartedOn = StartedOn,
        UpdatedOn = new DateTimeOffset(Interlocked.Read(ref _updatedTicks), TimeSpan.Zero),
        CheckpointInterval = (int)_settings.CheckpointInterval.TotalMilliseconds,
        Error = Error?.Message,
    };

    private async Task<CouchReplicationResult> RunAsync()
    {
        try
        {
            var result = await new Replication(_settings, _stats, this).RunAsync(_stop.Token);
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
            Error = e;
            _state = CouchReplicationState.Failed;
            throw;
        }
        catch (Exception e)
        {
            Error = new CouchReplicationException(CouchErrorKind.Unexpected, $"The replication failed unexpectedly: {e.Message}", innerException: e);
            _state = CouchReplicationState.Failed;
            throw Error;
        }
        finally
        {
            Touch();
        }
    }

    private void Touch() => Interlocked.Exchange(ref _updatedTicks, DateTimeOffset.UtcNow.UtcTicks);

    void IReplicationObserver.Verbose(string message)
    {
        Touch();
        Enqueue(new ReplicationMessage(false, message));
    }

    void IReplicationObserver.Warning(string message) => Enqueue(new ReplicationMessage(true, message));

    /// <summary>Nobody may be reading the messages of a background job: keep only the newest.</summary>
    private void Enqueue(ReplicationMessage message)
    {
        _messages.Enqueue(message);
        while (_messages.Count > MaxMessages) _messages.TryDequeue(out _);
    }

    void IReplicationObserver.Identified(string replicationId) => _replicationId = replicationId;

    void IReplicationObserver.Running() => _state = CouchReplicationState.Running;
}
