using System.Text.Json;
using System.Threading.Channels;
using CouchReplication.Database;
using CouchReplication.Document;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// Reads the source's <c>_changes</c> feed from a sequence and hands it on in batches of at most
/// worker_batch_size. One-shot: <c>feed=normal</c> a page of worker_batch_size at a time, so
/// memory stays flat however long the feed is. Continuous: <c>feed=continuous</c> with a
/// heartbeat, a batch handed on as soon as the feed pauses, and a dropped feed reopened from the
/// last sequence read.
/// </summary>
internal sealed class ChangesReader(ICouchDatabase source, ReplicationSettings settings, Action<string> log, Action? caughtUp = null)
{
    private long _ordinal;

    /// <summary>The heartbeat the continuous feed is asked for; silence for three of them means the feed is dead.</summary>
    private TimeSpan Heartbeat => TimeSpan.FromMilliseconds(Math.Min(10_000, Math.Max(1_000, settings.Http.ConnectionTimeout.TotalMilliseconds / 3)));

    /// <summary>Reads changes after <paramref name="since"/>; completes <paramref name="output"/> when a one-shot feed ends.</summary>
    public async Task ReadAllAsync(Seq since, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        try
        {
            if (settings.Continuous) await FollowAsync(since, output, ct);
            else await ReadPagesAsync(since, output, ct);
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private async Task ReadPagesAsync(Seq since, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        var seq = since;
        while (true)
        {
            var page = await source.ReadChangesAsync(Request(seq), settings.WorkerBatchSize, ct);
            if (page.Rows > 0)
            {
                log($"_changes since {seq}: {page.Rows} changes, up to {page.LastSeq}");
                await output.WriteAsync(new ChangesBatch(_ordinal++, page.Changes, page.LastSeq, page.Pending), ct);
            }
            seq = page.LastSeq;
            if (page.Rows < settings.WorkerBatchSize) return;
        }
    }

    /// <summary>Where a continuous feed has got to: the last sequence read and the changes not yet handed on.</summary>
    private sealed class FeedPosition(Seq since)
    {
        public Seq LastSeq { get; set; } = since;
        public List<Change> Pending { get; } = [];
    }

    /// <summary>
    /// Follows the feed for good. A feed that ends or drops after giving something is reopened
    /// from its last sequence at once; one that fails before giving anything is retried with the
    /// per-request backoff (<see cref="Backoff.PerRequest"/>) and, after retries_per_request
    /// failures in a row, fails the run; one the server ends at once is reopened after a pause, so
    /// a server that closes every feed is not hammered.
    /// </summary>
    private async Task FollowAsync(Seq since, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        var reopen = Backoff.PerRequest(settings.Http, log);
        var position = new FeedPosition(since);
        while (true)
        {
            var opened = position.LastSeq;
            var gave = await reopen.ExecuteAsync(token => FollowOnceAsync(position, output, token), ct);
            await FlushAsync(position, output, ct);
            if (!gave && position.LastSeq == opened) await Task.Delay(settings.Http.FirstRetryDelay * 4, ct);
        }
    }

    /// <summary>Hands on the changes read since the last batch.</summary>
    private async Task FlushAsync(FeedPosition position, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        if (position.Pending.Count == 0) return;
        var batch = new ChangesBatch(_ordinal++, position.Pending.ToList(), position.LastSeq);
        position.Pending.Clear();
        log($"_changes (continuous): {batch.Changes.Count} changes, up to {batch.LastSeq}");
        await output.WriteAsync(batch, ct);
    }

    /// <summary>
    /// One connection to the continuous feed, read until the server ends it; returns whether it
    /// gave any line. A connection that drops after giving lines also returns (to be reopened with
    /// a fresh retry budget); one that fails before giving any throws, for the backoff to retry.
    /// </summary>
    private async ValueTask<bool> FollowOnceAsync(FeedPosition position, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        IContinuousChanges? feed = null;
        try
        {
            feed = await source.FollowChangesAsync(Request(position.LastSeq), Heartbeat, ct);
            log($"Following the source's changes from {position.LastSeq}");
            Task<ChangesLine?>? read = null;
            while (true)
            {
                read ??= feed.ReadAsync();
                // A batch grows while lines are already waiting (a burst, or workers busy while the
                // feed went on) and is handed on the moment the feed has nothing more to give.
                if (position.Pending.Count > 0 && !read.IsCompleted)
                {
                    await FlushAsync(position, output, ct);
                    continue;
                }

                var line = await read;
                read = null;
                if (line is null) return feed.Gave;
                if (ReferenceEquals(line, ChangesLine.Heartbeat))
                {
                    // A heartbeat with nothing pending: the source had nothing more to send.
                    if (position.Pending.Count == 0) caughtUp?.Invoke();
                    continue;
                }
                if (line.Sequence is { } seq)
                {
                    position.LastSeq = seq;
                    if (line.Change is { } change) position.Pending.Add(change);
                    if (position.Pending.Count >= settings.WorkerBatchSize) await FlushAsync(position, output, ct);
                }
                else if (line.LastSeq is { } last)
                {
                    position.LastSeq = last;
                    return true;
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or HttpRequestException or JsonException
                                      or CouchReplicationException { IsTransient: true })
        {
            if (feed?.Gave != true)
            {
                if (e is CouchReplicationException) throw;
                throw new CouchReplicationException(CouchErrorKind.Unreachable, $"The source's changes feed keeps dropping: {e.Message}", isTransient: true, innerException: e);
            }
            log($"The changes feed dropped ({e.Message}); reopening it from {position.LastSeq}");
            return true;
        }
        finally
        {
            if (feed is not null) await feed.DisposeAsync();
        }
    }

    private ChangesRequest Request(Seq since) => new(since, settings.Filter, settings.WinningRevsOnly);
}
