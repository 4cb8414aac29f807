using System.Diagnostics;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Protocol;

namespace CouchReplication.Compare;

/// <summary>
/// One comparison of a source and a target in the scope of a replication document: both
/// databases checked, their update sequences read, then the source's leaves looked for in the
/// target (<see cref="LeafCheck"/>) and, with <paramref name="both"/>, the target's in the source
/// at the same time.
/// </summary>
internal sealed class ComparisonRun(ReplicationSettings settings, bool deep, bool both, ComparisonCounters counters,
    Action<CouchDifference> found, Action<string> log)
{
    public async Task<CouchComparisonSummary> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var source = CouchDatabase.Open(settings.Source, settings.Http, "source", log);
        using var target = CouchDatabase.Open(settings.Target, settings.Http, "target", log);
        await MustExistAsync(source, settings.Source, "source", ct);
        await MustExistAsync(target, settings.Target, "target", ct);
        var sourceSeq = await source.ReadUpdateSeqAsync(ct);
        var targetSeq = both ? await target.ReadUpdateSeqAsync(ct) : (Seq?)null;
        log($"Comparing {settings.Source.Redacted} up to its seq {sourceSeq} with {settings.Target.Redacted}");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var bodies = deep ? new BodyCheck(source, target, settings, log) : null;
        var checks = new List<Task>
        {
            Stopping(new LeafCheck(source, target, settings, settings.SinceSeq ?? Seq.Zero, sourceSeq, CouchDifferenceKind.MissingOnTarget,
                bodies, counters, found, log).RunAsync(stop.Token), stop),
        };
        // since_seq is a position in the source's feed, meaningless in the target's: the target is read whole.
        if (targetSeq is { } start)
            checks.Add(Stopping(new LeafCheck(target, source, settings, Seq.Zero, start, CouchDifferenceKind.ExtraOnTarget,
                null, counters, found, log).RunAsync(stop.Token), stop));
        await Task.WhenAll(checks);

        return new CouchComparisonSummary
        {
            Source = settings.Source.Redacted,
            Target = settings.Target.Redacted,
            SourceSeq = sourceSeq.ToString(),
            TargetSeq = targetSeq?.ToString() ?? "",
            Deep = deep,
            Both = both,
            DocumentsChecked = counters.Documents,
            RevisionsChecked = counters.Revisions,
            BodiesCompared = counters.Bodies,
            MissingOnTarget = counters.Of(CouchDifferenceKind.MissingOnTarget),
            ExtraOnTarget = counters.Of(CouchDifferenceKind.ExtraOnTarget),
            BodyDiffers = counters.Of(CouchDifferenceKind.BodyDiffers),
            AttachmentDiffers = counters.Of(CouchDifferenceKind.AttachmentDiffers),
            ChangedDuringComparison = counters.Changed,
            Duration = clock.Elapsed,
        };
    }

    /// <summary>A direction that fails stops the other, so the first error ends the comparison.</summary>
    private static async Task Stopping(Task check, CancellationTokenSource stop)
    {
        try { await check; }
        catch { stop.Cancel(); throw; }
    }

    private static async Task MustExistAsync(ICouchDatabase db, CouchEndpoint endpoint, string role, CancellationToken ct)
    {
        if (await db.FindAsync(ct) is { } missing) throw missing.Explain($"The {role} database {endpoint.Redacted} does not exist.");
    }
}
