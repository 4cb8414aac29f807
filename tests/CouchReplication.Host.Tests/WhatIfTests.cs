using System.Net;
using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// ShouldProcess: under -WhatIf no request that changes anything (PUT, POST, DELETE) reaches the
/// server, as a recording proxy in front of it sees. Each test then runs the same command without
/// -WhatIf through the same proxy, which does see its writes.
/// </summary>
public abstract class WhatIfTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    private static bool IsWrite(RecordedRequest request) => request.Method is "PUT" or "POST" or "DELETE";

    [ServerFact]
    public async Task Start_with_WhatIf_sends_no_write_request()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(20);
        await using var proxy = new FaultProxy(Server.Url);
        using var session = new ModuleSession();
        (string, object?)[] replication = [("Source", Url(proxy, sourceDb)), ("Target", Url(proxy, targetDb)), ("CreateTarget", true)];

        var whatIf = session.Run("Start-CouchReplication", [.. replication, ("WhatIf", true)]);

        Assert.Empty(whatIf.Errors);
        Assert.Empty(whatIf.Output);
        Assert.DoesNotContain(proxy.Requests, IsWrite);
        Assert.Equal(HttpStatusCode.NotFound, await Client.StatusAsync(targetDb));

        var run = session.Run("Start-CouchReplication", replication);

        var result = run.Single<CouchReplicationResult>();
        Assert.Contains(proxy.Requests, r => r.Method == "PUT" && r.PathAndQuery.TrimEnd('/') == "/" + targetDb);
        Assert.Contains(proxy.Requests, r => r.Method == "POST" && r.Kind == "_bulk_docs");
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
    }

    [ServerFact]
    public async Task Stop_with_WhatIf_sends_no_write_request_and_the_replication_runs_on()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(20);
        await using var proxy = new FaultProxy(Server.Url);
        using var session = new ModuleSession();
        var task = await StartContinuousAsync(session, Url(proxy, sourceDb), Url(proxy, targetDb), 20);
        var before = proxy.Requests.Count;

        var whatIf = session.Run("Stop-CouchReplication", ("ReplicationId", task.ReplicationId), ("WhatIf", true));

        Assert.Empty(whatIf.Errors);
        Assert.Equal(CouchReplicationState.Running, task.State);
        Assert.DoesNotContain(proxy.Requests.Skip(before), IsWrite);

        var stop = session.Run("Stop-CouchReplication", ("ReplicationId", task.ReplicationId), ("PassThru", true));

        Assert.Equal(CouchReplicationState.Stopped, stop.Single<CouchActiveTask>().State);
        // Its final checkpoint, on both sides.
        Assert.Equal(2, proxy.Requests.Skip(before).Count(r => r.Method == "PUT" && r.Kind == "_local"));
        await NothingLost.AssertAsync(Client, sourceDb, targetDb);
    }
}

public sealed class WhatIfOnPouchDb(PouchDbServer server) : WhatIfTests<PouchDbServer>(server);

public sealed class WhatIfOnCouchDb(CouchDbServer server) : WhatIfTests<CouchDbServer>(server);

public sealed class WhatIfOnExternalServer(ExternalServer server) : WhatIfTests<ExternalServer>(server);
