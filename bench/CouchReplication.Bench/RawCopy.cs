using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace CouchReplication.Bench;

/// <summary>
/// The raw copy limit: the least work any replicator must do for an empty target. Pages of the
/// source's <c>_changes</c> (every leaf revision; <c>seq_interval</c> spares CouchDB computing a
/// sequence for every row) are fetched with their history through <c>_bulk_get?revs=true</c> and
/// written with <c>_bulk_docs new_edits:false</c>, several pages in flight while the next ones are
/// read; pages hold at most 4 MiB of documents (<see cref="Seeder.DocsPerRequest"/>). Documents
/// with more than 64 KiB of attachments (the engine streams those too) are copied one by one
/// instead, each as the source's multipart/related answer relayed into a PUT: base64 in JSON
/// costs the server more than the bytes as stored. No <c>_revs_diff</c>, no checkpoints, no retries.
/// </summary>
internal static class RawCopy
{
    public static async Task<OneShotRun> RunAsync(CouchClient client, Process? server, string sourceDb, string targetDb, BenchOptions options, CancellationToken ct)
    {
        var pages = Channel.CreateBounded<List<(string Id, string Rev)>>(options.RawParallel);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long written = 0;
        var relayed = (long)options.Attachments * options.AttachmentSize > StreamedAttachmentBytes;

        // A failing stage stops the others: a copier must not wait forever on a dead reader, nor the reader on dead copiers.
        async Task Stage(Func<Task> body)
        {
            try { await body(); }
            catch { await failed.CancelAsync(); throw; }
        }

        await using var monitor = ResourceMonitor.Start(OneShotRun.SampleInterval, server);
        var stages = Enumerable.Range(0, options.RawParallel)
            .Select(_ => Task.Run(() => Stage(async () =>
            {
                await foreach (var page in pages.Reader.ReadAllAsync(failed.Token))
                    Interlocked.Add(ref written, relayed
                        ? await RelayAsync(client, sourceDb, targetDb, page)
                        : await CopyAsync(client, sourceDb, targetDb, page));
            })))
            .Append(Task.Run(() => Stage(() => ReadChangesAsync(client, sourceDb, Seeder.DocsPerRequest(options), pages.Writer, failed.Token))))
            .ToList();
        await Task.WhenAll(stages);
        var usage = await monitor.StopAsync();
        return new OneShotRun($"raw copy limit ({options.RawParallel} batches in flight)", options.Docs, written, usage);
    }

    private static async Task ReadChangesAsync(CouchClient client, string db, int pageSize, ChannelWriter<List<(string Id, string Rev)>> pages, CancellationToken ct)
    {
        await foreach (var page in ChangesPagesAsync(client, db, pageSize))
            if (page.Count > 0) await pages.WriteAsync(page, ct);
        pages.Complete();
    }

    /// <summary>
    /// The source's changes feed a page at a time, each page every leaf revision of its rows
    /// (<c>seq_interval</c> spares CouchDB computing a sequence for every row); <paramref name="query"/>
    /// adds to the request (<c>&amp;include_docs=true</c>).
    /// </summary>
    public static async IAsyncEnumerable<List<(string Id, string Rev)>> ChangesPagesAsync(CouchClient client, string db, int pageSize, string query = "")
    {
        var since = "0";
        while (true)
        {
            using var changes = await client.GetAsync($"{db}/_changes?style=all_docs&limit={pageSize}&seq_interval={pageSize}{query}&since={Uri.EscapeDataString(since)}");
            var page = new List<(string, string)>();
            var rows = 0;
            foreach (var row in changes.RootElement.GetProperty("results").EnumerateArray())
            {
                rows++;
                var id = row.GetProperty("id").GetString()!;
                foreach (var change in row.GetProperty("changes").EnumerateArray()) page.Add((id, change.GetProperty("rev").GetString()!));
            }
            yield return page;
            // Sequences are opaque: a string on CouchDB, a number on pouchdb-server.
            var last = changes.RootElement.GetProperty("last_seq");
            since = last.ValueKind == JsonValueKind.String ? last.GetString()! : last.GetRawText();
            if (rows < pageSize) yield break;
        }
    }

    private const long StreamedAttachmentBytes = 64 * 1024;

    private static async Task<long> RelayAsync(CouchClient client, string sourceDb, string targetDb, List<(string Id, string Rev)> page)
    {
        foreach (var (id, rev) in page)
        {
            var doc = Uri.EscapeDataString(id);
            await client.RelayMultipartAsync($"{sourceDb}/{doc}?rev={rev}&revs=true&attachments=true", $"{targetDb}/{doc}?new_edits=false");
        }
        return page.Count;
    }

    private static async Task<long> CopyAsync(CouchClient client, string sourceDb, string targetDb, List<(string Id, string Rev)> page)
    {
        using var fetched = await client.PostAsync($"{sourceDb}/_bulk_get?revs=true&attachments=true", writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("docs");
            foreach (var (id, rev) in page)
            {
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("rev", rev);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
        var docs = fetched.RootElement.GetProperty("results").EnumerateArray()
            .SelectMany(result => result.GetProperty("docs").EnumerateArray())
            .Select(entry => entry.TryGetProperty("ok", out var doc) ? doc : throw new InvalidOperationException($"_bulk_get could not read {entry}"))
            .ToList();
        using var answer = await client.PostAsync($"{targetDb}/_bulk_docs", writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("new_edits", false);
            writer.WriteStartArray("docs");
            foreach (var doc in docs) doc.WriteTo(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
        var errors = answer.RootElement.EnumerateArray().Count(row => row.TryGetProperty("error", out _));
        return docs.Count - errors;
    }
}
