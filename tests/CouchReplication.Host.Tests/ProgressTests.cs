using System.Management.Automation;
using System.Text.RegularExpressions;
using CouchReplication.Tests;
using CouchReplication.Tests.Servers;

namespace CouchReplication.Host.Tests;

/// <summary>The progress a waiting Start-CouchReplication writes, record by record.</summary>
public abstract partial class ProgressTests<TServer>(TServer server) : HostedModuleTests<TServer>(server) where TServer : CouchServer
{
    private const int Docs = 600;

    /// <summary>
    /// A one-shot replication through a proxy that slows every write, one batch of 50 at a time, so
    /// that the waiting cmdlet reports on it many times on its way; ends with the nothing-lost invariant.
    /// </summary>
    private async Task<Invocation> SlowRunAsync()
    {
        var (sourceDb, targetDb) = await SeedWithTargetAsync(Docs);
        await using var proxy = new FaultProxy(Server.Url);
        proxy.Faults = r => r.Kind == "_bulk_docs" ? new Fault.Stall(TimeSpan.FromMilliseconds(200)) : null;
        using var session = new ModuleSession();

        var run = session.Run("Start-CouchReplication", ("Source", Url(proxy, sourceDb)), ("Target", Url(proxy, targetDb)), ("CreateTarget", true),
            ("WorkerProcesses", 1), ("WorkerBatchSize", 50));

        var result = run.Single<CouchReplicationResult>();
        Assert.Equal(Docs, result.DocsWritten);
        await NothingLost.AssertAsync(Client, sourceDb, targetDb, result.Failures);
        return run;
    }

    [ServerFact]
    public async Task A_run_writes_progress_under_one_activity_with_its_counts_and_percent_and_completes_it()
    {
        var run = await SlowRunAsync();

        var result = run.Single<CouchReplicationResult>();
        var progress = run.Progress;
        Assert.Contains(":*****@", result.Source);
        // host:port/db -> host:port/db: both database names fit a terminal, no scheme, no user info.
        static string Short(string url) => new Uri(url).Authority + new Uri(url).AbsolutePath.TrimEnd('/');
        var activity = $"{Short(result.Source)} -> {Short(result.Target)}";
        Assert.All(progress, p =>
        {
            Assert.Equal(1, p.ActivityId);
            Assert.Equal(-1, p.ParentActivityId);
            Assert.Equal(activity, p.Activity);
            Assert.DoesNotContain(CouchServer.AdminPassword, p.Activity + p.StatusDescription + p.CurrentOperation);
        });
        // Then one Completed record, last.
        Assert.Equal(ProgressRecordType.Completed, progress[^1].RecordType);
        var working = progress.SkipLast(1).ToList();
        Assert.All(working, p => Assert.Equal(ProgressRecordType.Processing, p.RecordType));

        // "<state>: <n> documents written, <m> changes pending" ("?" while the source has not said), and the
        // percent the known counts give, or -1 where they are not known; neither goes back.
        var seen = working.Select(p => (Record: p, Status: Status().Match(p.StatusDescription))).ToList();
        Assert.All(seen, s => Assert.True(s.Status.Success, $"status '{s.Record.StatusDescription}'"));
        Assert.All(seen, s => Assert.Contains(s.Status.Groups["state"].Value, new[] { "Initializing", "Running" }));
        var written = seen.Select(s => long.Parse(s.Status.Groups["written"].Value)).ToList();
        Assert.Equal(written.Order(), written);
        Assert.All(written, n => Assert.InRange(n, 0, Docs));
        Assert.Contains(written, n => n is > 0 and < Docs);
        Assert.All(seen, s => Assert.True(s.Status.Groups["pending"].Value == "?"
            ? s.Record.PercentComplete == -1
            : s.Record.PercentComplete is >= 0 and <= 100, $"{s.Record.PercentComplete}% with '{s.Record.StatusDescription}'"));
        var percents = seen.Select(s => s.Record.PercentComplete).Where(p => p >= 0).ToList();
        Assert.Equal(percents.Order(), percents);
        // Time remaining only where the pending count gives it: never a guess without one.
        Assert.All(seen, s => Assert.True(s.Record.SecondsRemaining == -1 || s.Status.Groups["pending"].Value != "?",
            $"{s.Record.SecondsRemaining} s left with '{s.Record.StatusDescription}'"));
        // CouchDB says how many changes are pending (pouchdb-server does not).
        if (Server.IsCouchDb)
        {
            Assert.NotEmpty(percents);
            Assert.Contains(working, p => p.SecondsRemaining >= 0);
        }
    }

    [ServerFact]
    public async Task A_host_that_keeps_the_progress_records_has_each_as_it_was_written()
    {
        var run = await SlowRunAsync();

        Assert.True(run.Progress.Count > 2);
        Assert.Equal(run.Progress.Select(p => (p.StatusDescription, p.PercentComplete, p.RecordType)),
            run.ProgressKept.Select(p => (p.StatusDescription, p.PercentComplete, p.RecordType)));
    }

    [GeneratedRegex(@"^(?<state>\w+): (?<written>\d+) documents written, (?<pending>\d+|\?) changes pending$")]
    private static partial Regex Status();
}

public sealed class ProgressOnPouchDb(PouchDbServer server) : ProgressTests<PouchDbServer>(server);

public sealed class ProgressOnCouchDb(CouchDbServer server) : ProgressTests<CouchDbServer>(server);

public sealed class ProgressOnExternalServer(ExternalServer server) : ProgressTests<ExternalServer>(server);
