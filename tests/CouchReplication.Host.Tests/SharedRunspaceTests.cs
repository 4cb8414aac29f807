using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// The session's replications are the process's, as the design has it: two runspaces in one
/// process (two pwsh tabs of one host, a runspace pool) see the same tasks, and either can stop
/// one the other started.
/// </summary>
public abstract class SharedRunspaceTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    [ServerFact]
    public async Task A_task_started_in_one_runspace_is_listed_and_stopped_in_another()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(20);
        using var first = new ModuleSession();
        using var second = new ModuleSession();
        var task = await StartContinuousAsync(first, Url(sourceDb), Url(targetDb), 20);

        Assert.Equal(20, second.Task(task.ReplicationId)!.DocsWritten);
        var listed = second.Run("Get-CouchActiveTask").Output.Select(o => o.BaseObject).OfType<CouchActiveTask>();
        Assert.Contains(listed, t => t.ReplicationId == task.ReplicationId && t.State == CouchReplicationState.Running);

        var stop = second.Run("Stop-CouchReplication", ("ReplicationId", task.ReplicationId), ("PassThru", true));

        var stopped = stop.Single<CouchActiveTask>();
        Assert.Equal(CouchReplicationState.Stopped, stopped.State);
        Assert.Equal(CouchReplicationState.Stopped, task.State);
        Assert.Equal(CouchReplicationState.Stopped, first.Task(task.ReplicationId)!.State);
        Assert.DoesNotContain(first.Run("Get-CouchActiveTask").Output.Select(o => o.BaseObject).OfType<CouchActiveTask>(), t => t.ReplicationId == task.ReplicationId);
        await AssertFinalCheckpointAsync(stopped, sourceDb, targetDb);
        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
    }
}

public sealed class SharedRunspacesOnPouchDb(PouchDbServer server) : SharedRunspaceTests<PouchDbServer>(server);

public sealed class SharedRunspacesOnCouchDb(CouchDbServer server) : SharedRunspaceTests<CouchDbServer>(server);

public sealed class SharedRunspacesOnExternalServer(ExternalServer server) : SharedRunspaceTests<ExternalServer>(server);
