using System.Management.Automation;
using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// Ctrl+C in a waiting Start-CouchReplication is PowerShell.Stop, which calls the cmdlet's
/// StopProcessing: the replication must stop with a final checkpoint on both sides, and the next
/// run of it must resume there and lose nothing.
/// </summary>
public abstract class PipelineStopTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    private const int Docs = 1000;
    private const int WrittenBeforeStop = 200;

    /// <summary>
    /// A one-shot replication through a proxy that slows every write, one batch of 50 at a time,
    /// stopped (PowerShell.Stop) once it has written 200 documents.
    /// </summary>
    private async Task<StoppedRun> StopMidRunAsync()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(Docs);
        var proxy = new FaultProxy(Server.Url);
        proxy.Faults = r => r.Kind == "_bulk_docs" ? new Fault.Stall(TimeSpan.FromMilliseconds(200)) : null;
        var session = new ModuleSession();
        using var observer = new ModuleSession();

        var run = session.Command("Start-CouchReplication", ("Source", Url(proxy, sourceDb)), ("Target", Url(proxy, targetDb)), ("CreateTarget", true),
            ("WorkerProcesses", 1), ("WorkerBatchSize", 50));
        run.BeginInvoke();
        CouchActiveTask? running = null;
        await Eventually.HappensAsync(() => Task.FromResult(
            (running = observer.Run("Get-CouchActiveTask").Output.Select(o => o.BaseObject).OfType<CouchActiveTask>()
                .SingleOrDefault(t => t.Target!.Contains(targetDb, StringComparison.Ordinal))) is { DocsWritten: >= WrittenBeforeStop }),
            $"{WrittenBeforeStop} documents written");
        run.Stop();

        Assert.Equal(PSInvocationState.Stopped, run.InvocationStateInfo.State);
        return new StoppedRun(sourceDb, targetDb, proxy, session, run, running!.ReplicationId!);
    }

    private sealed record StoppedRun(string SourceDb, string TargetDb, FaultProxy Proxy, ModuleSession Session, PowerShell Pipeline, string TaskId)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Pipeline.Dispose();
            Session.Dispose();
            await Proxy.DisposeAsync();
        }
    }

    /// <summary>Stopped in the middle, with its final checkpoint on both sides; returns its sequence.</summary>
    private async Task<string> AssertFinalCheckpointAsync(StoppedRun run)
    {
        var stopped = run.Session.Task(run.TaskId)!;
        Assert.InRange(stopped.DocsWritten, WrittenBeforeStop, Docs - 1);
        return await AssertFinalCheckpointAsync(stopped, run.SourceDb, run.TargetDb);
    }

    /// <summary>Runs the replication again: it must resume from <paramref name="checkpoint"/> and lose nothing.</summary>
    private async Task AssertRerunResumesAsync(StoppedRun stopped, string checkpoint)
    {
        var (sourceDb, targetDb, proxy) = (stopped.SourceDb, stopped.TargetDb, stopped.Proxy);
        proxy.Faults = null;
        var rerun = stopped.Session.Run("Start-CouchReplication", ("Source", Url(proxy, sourceDb)), ("Target", Url(proxy, targetDb)), ("CreateTarget", true));

        Assert.Empty(rerun.Errors);
        Assert.Empty(rerun.Warnings);
        var result = rerun.Single<CouchReplicationResult>();
        Assert.Equal(checkpoint, result.History[0].StartLastSeq);
        // Resumed: only the changes after the checkpoint were looked at again. The history's
        // counters are totals since the replication began (CouchDB 3): this run's share is the
        // newest entry less the one it continued.
        Assert.InRange(result.History[0].MissingChecked - result.History[1].MissingChecked, 1, Docs - WrittenBeforeStop);
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
    }

    [ServerFact]
    public async Task Stopping_the_pipeline_mid_run_checkpoints_on_both_sides_and_a_rerun_resumes_there()
    {
        await using var stopped = await StopMidRunAsync();

        // The stopped task ends in its own time (see the test below); wait for it.
        await Eventually.HappensAsync(() => Task.FromResult(stopped.Session.Task(stopped.TaskId)!.State is not
            (CouchReplicationState.Running or CouchReplicationState.Initializing)), "the task stopped");
        await AssertRerunResumesAsync(stopped, await AssertFinalCheckpointAsync(stopped));
    }

    [ServerFact]
    public async Task Stopping_the_pipeline_returns_once_the_final_checkpoint_is_written_and_an_immediate_rerun_resumes()
    {
        await using var stopped = await StopMidRunAsync();

        await AssertRerunResumesAsync(stopped, await AssertFinalCheckpointAsync(stopped));
    }
}

public sealed class PipelineStopOnPouchDb(PouchDbServer server) : PipelineStopTests<PouchDbServer>(server);

public sealed class PipelineStopOnCouchDb(CouchDbServer server) : PipelineStopTests<CouchDbServer>(server);

public sealed class PipelineStopOnExternalServer(ExternalServer server) : PipelineStopTests<ExternalServer>(server);
