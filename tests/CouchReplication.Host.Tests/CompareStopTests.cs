using System.Management.Automation;
using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>
/// Ctrl+C in Compare-CouchDatabase is PowerShell.Stop, which calls the cmdlet's StopProcessing: the
/// comparison must stop asking the databases, and the pipeline end stopped, with no summary and no error.
/// </summary>
public abstract class CompareStopTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    [ServerFact]
    public async Task Stopping_the_pipeline_stops_the_comparison()
    {
        var sourceDb = await SeedAsync(1000);
        var targetDb = await NewDbAsync("target");
        await using var proxy = new FaultProxy(Server.Url);
        // One batch of 50 at a time, each _revs_diff answered after 200 ms: the whole comparison would take 4 s.
        proxy.Faults = r => r.Kind == "_revs_diff" ? new Fault.Stall(TimeSpan.FromMilliseconds(200)) : null;
        int RevsDiffs() => proxy.Requests.Count(r => r.Kind == "_revs_diff");
        using var session = new ModuleSession();
        using var run = session.Command("Compare-CouchDatabase", ("Source", Url(proxy, sourceDb)), ("Target", Url(proxy, targetDb)),
            ("WorkerProcesses", 1), ("WorkerBatchSize", 50));

        var output = new PSDataCollection<PSObject>();
        run.BeginInvoke<PSObject, PSObject>(null, output);
        await Eventually.HappensAsync(() => Task.FromResult(output.Count >= 3), "three differences written");
        run.Stop();
        var asked = RevsDiffs();
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(PSInvocationState.Stopped, run.InvocationStateInfo.State);
        Assert.All(output, o => Assert.IsType<CouchDifference>(o.BaseObject));
        Assert.Empty(run.Streams.Error);
        // At most the request already sent when the comparison was stopped is answered; none follows.
        Assert.InRange(RevsDiffs(), asked, asked + 1);
        Assert.True(asked < 20, $"{asked} of 20 batches were asked before the stop");
    }
}

public sealed class CompareStopOnPouchDb(PouchDbServer server) : CompareStopTests<PouchDbServer>(server);

public sealed class CompareStopOnCouchDb(CouchDbServer server) : CompareStopTests<CouchDbServer>(server);

public sealed class CompareStopOnExternalServer(ExternalServer server) : CompareStopTests<ExternalServer>(server);
