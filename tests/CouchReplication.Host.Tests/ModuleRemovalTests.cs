using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// Remove-Module stops the session's background replications, each with a final checkpoint, so
/// that none outlives the module unseen nor loses what it had written.
/// </summary>
public abstract class ModuleRemovalTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    [ServerFact]
    public async Task Remove_Module_stops_continuous_replications_with_a_final_checkpoint()
    {
        var sourceDb = await SeedAsync(20);
        var targetDbs = Enumerable.Range(0, 2).Select(_ => CouchServer.NewDbName("target")).ToList();
        using var session = new ModuleSession();
        var tasks = new List<CouchReplicationTask>();
        foreach (var targetDb in targetDbs) tasks.Add(await StartContinuousAsync(session, Url(sourceDb), Url(targetDb), 20));
        // A checkpoint found afterwards is the one the removal wrote.
        foreach (var (task, targetDb) in tasks.Zip(targetDbs))
            Assert.Null(await CheckpointSeqAsync(targetDb, task.CheckpointId));

        var removal = session.Run("Remove-Module", ("Name", "CouchReplication"));

        Assert.Empty(removal.Errors);
        Assert.Empty(session.Run("Get-Module", ("Name", "CouchReplication")).Output);
        foreach (var (task, targetDb) in tasks.Zip(targetDbs))
        {
            Assert.Equal(CouchReplicationState.Stopped, task.State);
            await AssertFinalCheckpointAsync(task.ToActiveTask(), sourceDb, targetDb);
            await NothingLost.AssertAsync(Client, sourceDb, targetDb);
        }
    }
}

public sealed class ModuleRemovalOnPouchDb(PouchDbServer server) : ModuleRemovalTests<PouchDbServer>(server);

public sealed class ModuleRemovalOnCouchDb(CouchDbServer server) : ModuleRemovalTests<CouchDbServer>(server);

public sealed class ModuleRemovalOnExternalServer(ExternalServer server) : ModuleRemovalTests<ExternalServer>(server);
