using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CouchReplication.Http;
using CouchReplication.Json;

namespace CouchReplication.Protocol;

/// <summary>
/// Reads the source's <c>_changes</c> feed from a sequence and hands it on in batches of
/// worker_batch_size. A one-shot replication reads <c>feed=normal</c> a page of
/// worker_batch_size at a time, so memory stays flat however long the feed is.
/// </summary>
internal sealed class ChangesReader(CouchHttp source, ReplicationSettings settings, ReplicationStats stats, Action<string> log)
{
    /// <summary>Reads every change after <paramref name="since"/>; completes <paramref name="output"/> at the end.</summary>
    public async Task ReadAllAsync(Seq since, ChannelWriter<ChangesBatch> output, CancellationToken ct)
    {
        try
        {
            long ordinal = 0;
            var seq = since;
            while (true)
            {
                var page = await ReadPageAsync(seq, ct);
                stats.SetPending(page.Pending);
                stats.SourceSeq = page.LastSeq;
                if (page.Rows > 0)
                {
                    log($"_changes since {seq}: {page.Rows} changes, up to {page.LastSeq}");
                    await output.WriteAsync(new ChangesBatch(ordinal++, page.Changes, page.LastSeq), ct);
                }
                seq = page.LastSeq;
                if (page.Rows < settings.WorkerBatchSize) break;
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private async Task<ChangesPage> ReadPageAsync(Seq since, CancellationToken ct)
    {
        var query = new StringBuilder("_changes?feed=normal&style=")
            .Append(settings.WinningRevsOnly ? "main_only" : "all_docs")
            .Append("&since=").Append(Uri.EscapeDataString(since.QueryValue))
            .Append("&limit=").Append(settings.WorkerBatchSize);
        foreach (var (key, value) in settings.Filter.QueryParameters())
            query.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));

        var body = settings.Filter.Body;
        using var json = body is null
            ? await source.GetJsonAsync(query.ToString(), ct)
            : await source.PostJsonAsync(query.ToString(), body, ct);
        return ChangesPage.Parse(json.RootElement, since);
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

/// <summary>Parses one row of any changes feed: <c>{"seq", "id", "changes":[{"rev"}], "deleted"}</c>.</summary>
internal static class ChangeRow
{
    public static Change? Parse(JsonElement row)
    {
        if (!row.TryGetProperty("id", out var id) || id.GetString() is not { } docId) return null;
        var revs = new List<string>();
        if (row.TryGetProperty("changes", out var changes))
            foreach (var change in changes.EnumerateArray())
                if (change.TryGetProperty("rev", out var rev) && rev.GetString() is { } r) revs.Add(r);
        var deleted = row.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True;
        return revs.Count == 0 ? null : new Change(docId, revs, deleted);
    }
}
