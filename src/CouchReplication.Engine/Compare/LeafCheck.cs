using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Json;
using CouchReplication.Protocol;

namespace CouchReplication.Compare;

/// <summary>
/// One direction of a comparison: every leaf revision in <paramref name="from"/>'s changes feed
/// (<c>style=all_docs</c>, in the replication document's scope, read by the replication's own
/// <see cref="ChangesReader"/>) is asked for in <paramref name="to"/> with <c>_revs_diff</c>, a batch
/// at a time, worker_processes batches at once. A revision <paramref name="to"/> lacks is a
/// difference of <paramref name="kind"/>; with <paramref name="bodies"/>, the revisions both have
/// are compared too.
/// </summary>
/// <param name="from">The database whose revisions are looked for.</param>
/// <param name="to">The database they are looked for in.</param>
/// <param name="settings">The scope (filter, winning_revs_only) and the batch size and parallelism.</param>
/// <param name="since">Where the feed is read from: since_seq, or the start.</param>
/// <param name="startSeq">
/// <paramref name="from"/>'s update_seq when the comparison started: a document that differs and
/// appears in the feed after it was changed during the comparison, and is not judged.
/// </param>
/// <param name="kind">What a revision <paramref name="to"/> lacks is.</param>
/// <param name="bodies">Compares the revisions both have (-Deep), or null.</param>
/// <param name="counters">The comparison's counters.</param>
/// <param name="found">Hears each difference.</param>
/// <param name="log">Hears what is done, for -Verbose.</param>
internal sealed class LeafCheck(ICouchDatabase from, ICouchDatabase to, ReplicationSettings settings, Seq since, Seq startSeq,
    CouchDifferenceKind kind, BodyCheck? bodies, ComparisonCounters counters, Action<CouchDifference> found, Action<string> log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var batches = Channel.CreateBounded<ChangesBatch>(new BoundedChannelOptions(settings.WorkerProcesses) { SingleWriter = true });
        using var stages = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // A failing stage cancels the others, so one error ends the comparison at once.
        async Task Stage(Func<Task> body)
        {
            try { await body(); }
            catch { stages.Cancel(); throw; }
        }

        var reader = new ChangesReader(from, settings with { Continuous = false }, log);
        var tasks = new List<Task> { Task.Run(() => Stage(() => reader.ReadAllAsync(since, batches.Writer, stages.Token))) };
        for (var i = 0; i < settings.WorkerProcesses; i++)
            tasks.Add(Task.Run(() => Stage(async () =>
            {
                await foreach (var batch in batches.Reader.ReadAllAsync(stages.Token)) await CheckAsync(batch, stages.Token);
            })));
        try { await Task.WhenAll(tasks); }
        catch { /* inspected below */ }

        var failure = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        ct.ThrowIfCancellationRequested();
    }

    private async Task CheckAsync(ChangesBatch batch, CancellationToken ct)
    {
        var leaves = batch.Changes.GroupBy(c => c.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.SelectMany(c => c.Revs).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var missing = await to.RevsDiffAsync(leaves, ct);
        var differences = missing.SelectMany(doc => doc.Missing.Select(rev => new CouchDifference(doc.Id, rev, kind))).ToList();
        var compared = 0;
        if (bodies is not null)
        {
            var lacking = differences.Select(d => (d.Id, d.Rev)).ToHashSet();
            var onBoth = leaves.Select(doc => new MissingRevs(doc.Key, doc.Value.Where(rev => !lacking.Contains((doc.Key, rev))).ToList(), []))
                .Where(doc => doc.Missing.Count > 0).ToList();
            (var differing, compared) = await bodies.CompareAsync(onBoth, ct);
            differences.AddRange(differing);
        }
        if (differences.Count > 0) differences = await UnchangedAsync(differences, ct);

        counters.Checked(leaves.Count, leaves.Values.Sum(revs => revs.Count), compared);
        counters.SetPending(batch.Pending);
        foreach (var difference in differences)
        {
            counters.Found(difference.Kind);
            found(difference);
        }
    }

    /// <summary>
    /// The differences in documents the database read has not changed since the comparison
    /// started; the others are counted as changed meanwhile. Asked only for a batch with
    /// differences, so two identical databases cost no request more.
    /// </summary>
    private async Task<List<CouchDifference>> UnchangedAsync(List<CouchDifference> differences, CancellationToken ct)
    {
        var ids = differences.Select(d => d.Id).Distinct(StringComparer.Ordinal).ToList();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var request = new ChangesRequest(startSeq, ChangesFilter.ForDocIds(ids), WinningRevsOnly: false);
        while (true)
        {
            var page = await from.ReadChangesAsync(request, settings.WorkerBatchSize, ct);
            changed.UnionWith(page.Changes.Select(c => c.Id));
            if (page.Rows < settings.WorkerBatchSize) break;
            request = request with { Since = page.LastSeq };
        }
        if (changed.Count == 0) return differences;
        counters.ChangedMeanwhile(changed.Count);
        foreach (var id in changed.Order(StringComparer.Ordinal)) log($"{id} changed during the comparison; its differences are not judged");
        return differences.Where(d => !changed.Contains(d.Id)).ToList();
    }
}
