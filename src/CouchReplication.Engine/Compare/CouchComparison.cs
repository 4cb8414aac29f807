using System.Collections.Concurrent;
using CouchReplication.Compare;
using CouchReplication.Document;

namespace CouchReplication;

/// <summary>
/// A comparison of two databases running in this session: is every leaf revision of the source
/// (in a replication document's scope) on the target? It reads the source's changes feed and asks
/// the target with <c>_revs_diff</c>, as a replication would before copying anything; -Deep also
/// compares the bodies and attachment digests of the revisions both have, -Both also looks for the
/// target's revisions in the source. Differences arrive as they are found
/// (<see cref="TryTakeDifference"/>); <see cref="Completion"/> gives the summary.
/// </summary>
public sealed class CouchComparison
{
    private const int MaxMessages = 1000;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<CouchDifference> _differences = new();
    private readonly ConcurrentQueue<ReplicationMessage> _messages = new();
    private readonly ComparisonCounters _counters = new();

    private CouchComparison(ReplicationSettings settings)
    {
        Source = settings.Source.Redacted;
        Target = settings.Target.Redacted;
        Completion = Task.FromException<CouchComparisonSummary>(new InvalidOperationException("The comparison has not started."));
    }

    /// <summary>
    /// Checks the document (nothing is sent for an invalid one) and starts comparing. Of the
    /// document, the source, the target, their credentials, headers and proxies, the scope
    /// (doc_ids, selector, filter and query_params, since_seq, winning_revs_only) and the tuning
    /// (worker_batch_size, worker_processes, http_connections, connection_timeout,
    /// retries_per_request, use_bulk_get) are used; continuous, create_target and the checkpoint
    /// fields do not apply: a comparison is one-shot, writes nothing and needs only read access.
    /// </summary>
    /// <param name="doc">The replication whose result to check.</param>
    /// <param name="deep">Also compare the bodies and attachment digests of the revisions on both sides.</param>
    /// <param name="both">Also report the target's revisions the source lacks.</param>
    /// <param name="skipCertificateCheck">Accept any TLS certificate from source and target; warns.</param>
    public static CouchComparison Start(CouchReplicationDoc doc, bool deep = false, bool both = false, bool skipCertificateCheck = false)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var settings = ReplicationSettings.From(doc, skipCertificateCheck);
        var comparison = new CouchComparison(settings);
        foreach (var warning in settings.Warnings) comparison.Enqueue(new ReplicationMessage(true, warning));
        var run = new ComparisonRun(settings, deep, both, comparison._counters, comparison.Found, comparison.Verbose);
        comparison.Completion = comparison.RunAsync(run);
        return comparison;
    }

    /// <summary>The source URL, password masked.</summary>
    public string Source { get; }

    /// <summary>The target URL, password masked.</summary>
    public string Target { get; }

    /// <summary>
    /// The summary once the comparison has ended; cancelled when stopped, faulted with a
    /// <see cref="CouchReplicationException"/> when a database could not be read.
    /// </summary>
    public Task<CouchComparisonSummary> Completion { get; private set; }

    /// <summary>Documents checked so far.</summary>
    public long DocumentsChecked => _counters.Documents;

    /// <summary>Leaf revisions checked so far.</summary>
    public long RevisionsChecked => _counters.Revisions;

    /// <summary>Differences found so far.</summary>
    public long Differences => _counters.Differences;

    /// <summary>Changes the feed being read still had after the last batch, when it said; otherwise null.</summary>
    public long? ChangesPending => _counters.Pending;

    /// <summary>How far along, 0 to 100, from the documents checked and the changes pending; null before the feed has said.</summary>
    public int? Progress => ChangesPending is { } pending && DocumentsChecked + pending > 0
        ? (int)(100 * DocumentsChecked / (DocumentsChecked + pending))
        : null;

    /// <summary>Stops the comparison; <see cref="Completion"/> ends cancelled.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Takes the next difference found, in the order found.</summary>
    public bool TryTakeDifference(out CouchDifference difference) => _differences.TryDequeue(out difference!);

    /// <summary>Takes the next line for the user (-Verbose narration, or a warning).</summary>
    public bool TryTakeMessage(out ReplicationMessage message) => _messages.TryDequeue(out message!);

    private async Task<CouchComparisonSummary> RunAsync(ComparisonRun run)
    {
        // Off the caller's thread: the caller polls for differences while the comparison runs.
        await Task.Yield();
        try
        {
            return await run.RunAsync(_stop.Token);
        }
        catch (Exception e) when (e is not (CouchReplicationException or OperationCanceledException))
        {
            throw new CouchReplicationException(CouchErrorKind.Unexpected, $"The comparison failed unexpectedly: {e.Message}", innerException: e);
        }
    }

    private void Found(CouchDifference difference) => _differences.Enqueue(difference);

    private void Verbose(string message) => Enqueue(new ReplicationMessage(false, message));

    /// <summary>Nobody may be reading the messages: keep only the newest.</summary>
    private void Enqueue(ReplicationMessage message)
    {
        _messages.Enqueue(message);
        while (_messages.Count > MaxMessages) _messages.TryDequeue(out _);
    }
}
