using System.Text;
using System.Text.Json;
using System.Threading.Channels;
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
internal sealed class ChangesReader(CouchHttp source, ReplicationSettings settings, Action<string> log, Action? caughtUp = null)
{
    private long _ordinal;
    private ChangesFilter _filter = settings.Filter;

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
            using var json = await WithSelectorFallbackAsync(() => _filter.Body is { } body
                ? source.PostJsonAsync(Query("normal", seq), body, ct)
                : source.GetJsonAsync(Query("normal", seq), ct));
            var page = ChangesPage.Parse(json.RootElement, seq);
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
        var gave = false;
        try
        {
            using var response = await WithSelectorFallbackAsync(() => source.OpenStreamAsync(_filter.Body is null ? HttpMethod.Get : HttpMethod.Post,
                Query("continuous", position.LastSeq) + "&heartbeat=" + (long)Heartbeat.TotalMilliseconds, _filter.Body, ct));
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
            log($"Following the source's changes from {position.LastSeq}");
            Task<string?>? read = null;
            while (true)
            {
                if (read is null)
                {
                    silence.CancelAfter(Heartbeat * 3);
                    read = reader.ReadLineAsync(silence.Token).AsTask();
                }
                // A batch grows while lines are already waiting (a burst, or workers busy while the
                // feed went on) and is handed on the moment the feed has nothing more to give.
                if (position.Pending.Count > 0 && !read.IsCompleted)
                {
                    await FlushAsync(position, output, ct);
                    continue;
                }

                string? line;
                try
                {
                    line = await read;
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    throw new CouchReplicationException(CouchErrorKind.Timeout,
                        $"The source's changes feed was silent for {(Heartbeat * 3).TotalSeconds:0} s (no heartbeat).", isTransient: true, innerException: e);
                }
                read = null;
                if (line is null) return gave;
                if (line.Length == 0)
                {
                    // A heartbeat with nothing pending: the server had nothing more to send.
                    if (position.Pending.Count == 0) caughtUp?.Invoke();
                    continue;
                }

                gave = true;
                using var json = JsonDocument.Parse(line);
                var row = json.RootElement;
                if (row.TryGetProperty("error", out var error))
                    throw new CouchReplicationException(CouchErrorKind.ServerError, $"The source's changes feed failed: {error} {row}", isTransient: true);
                if (row.TryGetProperty("seq", out var seq))
                {
                    position.LastSeq = Seq.From(seq);
                    if (ChangeRow.Parse(row) is { } change && !DocPath.IsLocal(change.Id)) position.Pending.Add(change);
                    if (position.Pending.Count >= settings.WorkerBatchSize) await FlushAsync(position, output, ct);
                }
                else if (row.TryGetProperty("last_seq", out var last))
                {
                    position.LastSeq = Seq.From(last);
                    return gave;
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or HttpRequestException or JsonException
                                      or CouchReplicationException { IsTransient: true })
        {
            if (!gave)
            {
                if (e is CouchReplicationException) throw;
                throw new CouchReplicationException(CouchErrorKind.Unreachable, $"The source's changes feed keeps dropping: {e.Message}", isTransient: true, innerException: e);
            }
            log($"The changes feed dropped ({e.Message}); reopening it from {position.LastSeq}");
            return true;
        }
    }

    /// <summary>Sends a changes request; a selector the server refuses in a POST body is sent again in the query.</summary>
    private async Task<T> WithSelectorFallbackAsync<T>(Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (CouchReplicationException e) when (e.StatusCode == 404 && _filter.CanMoveSelectorToQuery && e.Reason != "Database does not exist.")
        {
            _filter = _filter.WithSelectorInQuery();
            log("The source refused the selector in a POST body; sending it as a query parameter");
            return await request();
        }
    }

    private string Query(string feed, Seq since)
    {
        var query = new StringBuilder("_changes?feed=").Append(feed)
            .Append("&style=").Append(settings.WinningRevsOnly ? "main_only" : "all_docs")
            .Append("&since=").Append(Uri.EscapeDataString(since.QueryValue));
        // seq_interval: only the page's last sequence is used, and CouchDB computes the others at a
        // cost (a clustered sequence per row); servers that do not know it ignore it.
        if (feed == "normal") query.Append("&limit=").Append(settings.WorkerBatchSize).Append("&seq_interval=").Append(settings.WorkerBatchSize);
        foreach (var (key, value) in _filter.QueryParameters())
            query.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        return query.ToString();
    }
}

/// <summary>One answer of the <c>feed=normal</c> changes feed.</summary>
internal sealed record ChangesPage(IReadOnlyList<Change> Changes, int Rows, Seq LastSeq, long? Pending)
{
    public static ChangesPage Parse(JsonElement root, Seq since)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse, "The source's _changes answer has no results array: is this a CouchDB server?");
        var changes = new List<Change>(results.GetArrayLength());
        var rows = 0;
        foreach (var row in results.EnumerateArray())
        {
            rows++;
            if (ChangeRow.Parse(row) is { } change && !DocPath.IsLocal(change.Id)) changes.Add(change);
        }
        var lastSeq = root.TryGetProperty("last_seq", out var last) ? Seq.From(last) : since;
        long? pending = root.TryGetProperty("pending", out var p) && p.TryGetInt64(out var n) ? n : null;
        return new ChangesPage(changes, rows, lastSeq, pending);
    }
}

/// <summary>Parses one row of any changes feed: <c>{"seq", "id", "changes":[{"rev"}]}</c>.</summary>
internal static class ChangeRow
{
    public static Change? Parse(JsonElement row)
    {
        if (!row.TryGetProperty("id", out var id) || id.GetString() is not { } docId) return null;
        var revs = new List<string>();
        if (row.TryGetProperty("changes", out var changes))
            foreach (var change in changes.EnumerateArray())
                if (change.TryGetProperty("rev", out var rev) && rev.GetString() is { } r) revs.Add(r);
        return revs.Count == 0 ? null : new Change(docId, revs);
    }
}
