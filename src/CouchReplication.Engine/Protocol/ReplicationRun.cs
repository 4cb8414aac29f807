using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// One run of a replication: check both databases, resume from the checkpoints, then changes reader -> workers -> checkpointer until the feed ends or the run is
/// cancelled, and a final checkpoint either way.
/// </summary>
internal sealed class ReplicationRun(ReplicationSettings settings, string replicationId, ReplicationStats stats, IReplicationObserver events)
{
    private const int MaxFailuresKept = 1000;
    private readonly List<CouchDocWriteFailure> _failures = [];

    /// <summary>The furthest batch done and its sequence: source_seq, CouchDB's highest_seq_done.</summary>
    private long _highestDone = -1;
    private readonly object _recording = new();

    public async Task<CouchReplicationResult> RunAsync(CancellationToken ct)
    {
        Action<string>? narrate = settings.NarrateRequests ? events.Debug : null;
        using var source = CouchDatabase.Open(settings.Source, settings.Http, "source", events.Verbose, narrate);
        using var target = CouchDatabase.Open(settings.Target, settings.Http, "target", events.Verbose, narrate);

        if (await ReplicationEnds.CheckAsync(source, target, settings, ct) is null)
            events.Verbose($"Source {settings.Source.Redacted} and target {settings.Target.Redacted} are reachable");
        else if (await target.CreateAsync(settings.CreateTargetParams, ct))
            events.Verbose($"Created the target database {settings.Target.Redacted}");
        if (!await target.KeepsAttachmentEncodingsAsync(ct))
        {
            // It would store a compressed attachment's gzip bytes as its content.
            source.GivesStoredEncodings = false;
            events.Verbose($"The target {settings.Target.Redacted} does not keep attachments compressed: they travel decoded");
        }

        ReplicationLog? sourceLog = null, targetLog = null;
        if (settings.UseCheckpoints)
        {
            sourceLog = await source.ReadReplicationLogAsync(replicationId, ct);
            targetLog = await target.ReadReplicationLogAsync(replicationId, ct);
        }
        var (resumeSeq, history) = ReplicationLogs.Compare(sourceLog, targetLog);
        // since_seq wins over a checkpoint, as in CouchDB (its replication id does not include it).
        var startSeq = settings.SinceSeq ?? resumeSeq ?? Seq.Zero;
        events.Verbose(settings.SinceSeq is not null ? $"Replication {replicationId}: starting from since_seq {startSeq}"
            : resumeSeq is null ? $"Replication {replicationId}: no common checkpoint, starting from {startSeq}"
            : $"Replication {replicationId}: resuming from checkpoint {startSeq}");

        // Counters are totals since the replication began (CouchDB 3): they go on from the checkpoint's.
        stats.RaiseTo(history.FirstOrDefault());
        var atStart = stats.Snapshot();
        var checkpointer = new Checkpointer(source, target, replicationId, Guid.NewGuid().ToString("N"), startSeq,
            sourceLog, targetLog, history, stats, settings.UseCheckpoints, events.Verbose);
        stats.SourceSeq = stats.ThroughSeq = stats.CheckpointedSourceSeq = startSeq;
        events.Running();
        try
        {
            await PumpAsync(source, target, startSeq, checkpointer, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await FinalCheckpointAsync(checkpointer, swallow: false);
            throw;
        }
        catch
        {
            await FinalCheckpointAsync(checkpointer, swallow: true);
            throw;
        }
        await FinalCheckpointAsync(checkpointer, swallow: false);

        var atEnd = stats.Snapshot();
        return new CouchReplicationResult
        {
            Ok = true,
            ReplicationId = replicationId,
            SessionId = checkpointer.Session.SessionId,
            SourceLastSeq = checkpointer.Session.RecordedSeq,
            NoChanges = atEnd.MissingChecked == atStart.MissingChecked,
            DocsRead = atEnd.DocsRead - atStart.DocsRead,
            DocsWritten = atEnd.DocsWritten - atStart.DocsWritten,
            DocWriteFailures = atEnd.DocWriteFailures - atStart.DocWriteFailures,
            Source = settings.Source.Redacted,
            Target = settings.Target.Redacted,
            History = settings.UseCheckpoints ? [.. checkpointer.History] : [checkpointer.Session],
            Failures = [.. _failures],
        };
    }

    private async Task PumpAsync(ICouchDatabase source, ICouchDatabase target, Seq startSeq, Checkpointer checkpointer, CancellationToken ct)
    {
        var batches = Channel.CreateBounded<ChangesBatch>(new BoundedChannelOptions(settings.WorkerProcesses) { SingleWriter = true });
        using var stages = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var periodicStop = CancellationTokenSource.CreateLinkedTokenSource(stages.Token);

        // A failing stage cancels the others, so one error ends the run instead of leaving it half alive.
        async Task Stage(Func<Task> body)
        {
            try { await body(); }
            catch { stages.Cancel(); throw; }
        }

        var reader = new ChangesReader(source, settings, events.Verbose, events.CaughtUp);
        var unreadable = new UnreadableRevisions(settings.MissingRevisionRetryDelay, events.Verbose);
        var fetcher = new DocFetcher(source, settings.UseBulkGet, unreadable);
        var attachments = new AttachmentCopier(source, target, settings.Http, settings.WorkerProcesses, unreadable, events.Verbose);
        var worker = new BatchWorker(target, fetcher, attachments, new RevsDiffSkipping(), events.Verbose);
        var tasks = new List<Task> { Task.Run(() => Stage(() => reader.ReadAllAsync(startSeq, batches.Writer, stages.Token))) };
        for (var i = 0; i < settings.WorkerProcesses; i++)
            tasks.Add(Task.Run(() => Stage(async () =>
            {
                await foreach (var batch in batches.Reader.ReadAllAsync(stages.Token))
                    Record(batch, await worker.ReplicateAsync(batch, stages.Token), checkpointer);
            })));
        var periodic = Stage(() => CheckpointPeriodicallyAsync(checkpointer, periodicStop.Token));

        try { await Task.WhenAll(tasks); }
        catch { /* inspected below, with the periodic checkpointer's outcome */ }
        periodicStop.Cancel();
        try { await periodic; }
        catch { /* inspected below */ }

        var failure = tasks.Append(periodic).Where(t => t.IsFaulted)
            .Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// A batch is done: its counters, its refused documents, and a checkpoint that may now pass it
    /// (CouchDB's <c>report_seq_done</c>). The run is the only writer of the live counters.
    /// </summary>
    private void Record(ChangesBatch batch, BatchOutcome outcome, Checkpointer checkpointer)
    {
        stats.Add(outcome);
        foreach (var failure in outcome.Failures) Refused(failure);
        checkpointer.Finished(batch);
        lock (_recording)
        {
            if (batch.Ordinal > _highestDone)
            {
                _highestDone = batch.Ordinal;
                stats.SourceSeq = batch.LastSeq;
                stats.SetPending(batch.Pending);
            }
            stats.ThroughSeq = checkpointer.ThroughSeq;
        }
    }

    /// <summary>Writes a checkpoint and shows what it recorded.</summary>
    private async Task CheckpointAsync(Checkpointer checkpointer, CancellationToken ct)
    {
        await checkpointer.CheckpointAsync(ct);
        stats.CheckpointedSourceSeq = checkpointer.CheckpointedSeq;
    }

    /// <summary>Writes a checkpoint every checkpoint_interval until the run ends; its final checkpoint follows.</summary>
    private async Task CheckpointPeriodicallyAsync(Checkpointer checkpointer, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(settings.CheckpointInterval, ct);
                await CheckpointAsync(checkpointer, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped by the run: its final checkpoint follows.
        }
    }

    /// <summary>
    /// Records what is safely written even when the run is stopped or failed, so the next run
    /// resumes there; a failure here must not hide the failure that ended the run.
    /// </summary>
    private async Task FinalCheckpointAsync(Checkpointer checkpointer, bool swallow)
    {
        using var deadline = new CancellationTokenSource(settings.Http.ConnectionTimeout * 2);
        try
        {
            await CheckpointAsync(checkpointer, deadline.Token);
        }
        catch (Exception e) when (swallow)
        {
            events.Verbose($"Final checkpoint failed: {e.Message}");
        }
    }

    private void Refused(CouchDocWriteFailure failure)
    {
        lock (_failures)
            if (_failures.Count < MaxFailuresKept) _failures.Add(failure);
        events.Warning($"Target refused {failure}");
    }
}
