using System.Diagnostics;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>
/// What each step of a copy costs the server, one request at a time so nothing overlaps: the
/// changes feed, <c>_revs_diff</c> against an empty target, <c>_bulk_get?revs=true</c> and
/// <c>_bulk_docs new_edits:false</c> in batches of worker_batch_size, then the same reads and
/// writes in batches four times as large, and <c>_changes?include_docs=true</c>, the read that
/// could stand in for <c>_bulk_get</c>. The changes feed, <c>_bulk_get</c> and <c>_bulk_docs</c>
/// together are the least any replicator must ask of the server for an empty target: with the
/// server the bottleneck, that sum bounds how much faster than the server's own replicator any
/// client can copy.
/// </summary>
internal static class StepCosts
{
    /// <summary>One step's figures.</summary>
    public sealed record Step(string Name, int Requests, ResourceUsage Usage, bool PartOfTheLeast);

    public static async Task<IReadOnlyList<Step>> MeasureAsync(CouchClient client, Process? server, string sourceDb, string dbPrefix,
        int batch, CancellationToken ct)
    {
        var steps = new List<Step>();
        var folder = Directory.CreateTempSubdirectory("couchreplication-steps-").FullName;
        try
        {
            async Task<T> Measure<T>(string name, bool partOfTheLeast, Func<Task<(int Requests, T Result)>> run)
            {
                await using var monitor = ResourceMonitor.Start(interval: null, server);
                var (requests, result) = await run();
                steps.Add(new Step(name, requests, await monitor.StopAsync(), partOfTheLeast));
                return result;
            }

            var revisions = await Measure($"_changes, pages of {batch}", true, () => ChangesAsync(client, sourceDb, batch, includeDocs: false));
            await Measure($"_changes?include_docs=true, pages of {batch}", false, () => ChangesAsync(client, sourceDb, batch, includeDocs: true));
            var emptyTarget = dbPrefix + "steps-revs-diff";
            (await client.PutAsync(emptyTarget)).Dispose();
            await Measure($"_revs_diff (empty target), batches of {batch}", false, () => RevsDiffAsync(client, emptyTarget, revisions, batch));
            foreach (var size in new[] { batch, 4 * batch })
            {
                var files = await Measure($"_bulk_get?revs=true, batches of {size}", size == batch,
                    () => BulkGetAsync(client, sourceDb, revisions, size, Path.Combine(folder, size.ToString())));
                var target = dbPrefix + "steps-target-" + size;
                (await client.PutAsync(target)).Dispose();
                await Measure($"_bulk_docs new_edits:false, batches of {size}", size == batch, () => BulkDocsAsync(client, target, files));
            }
            return steps;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Every leaf revision in the feed, page by page, as the raw copy reads it.</summary>
    private static async Task<(int, List<(string Id, string Rev)>)> ChangesAsync(CouchClient client, string db, int page, bool includeDocs)
    {
        var revisions = new List<(string, string)>();
        var requests = 0;
        await foreach (var revisionsOfPage in RawCopy.ChangesPagesAsync(client, db, page, includeDocs ? "&include_docs=true" : ""))
        {
            requests++;
            revisions.AddRange(revisionsOfPage);
        }
        return (requests, revisions);
    }

    private static async Task<(int, bool)> RevsDiffAsync(CouchClient client, string db, List<(string Id, string Rev)> revisions, int batch)
    {
        var requests = 0;
        foreach (var chunk in revisions.Chunk(batch))
        {
            requests++;
            (await client.PostAsync($"{db}/_revs_diff", writer =>
            {
                writer.WriteStartObject();
                foreach (var document in chunk.GroupBy(r => r.Id))
                {
                    writer.WriteStartArray(document.Key);
                    foreach (var (_, rev) in document) writer.WriteStringValue(rev);
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            })).Dispose();
        }
        return (requests, true);
    }

    /// <summary>Reads every revision with its history; each answer's documents go to a file, so the writes that follow send what was read without holding it all.</summary>
    private static async Task<(int, List<string>)> BulkGetAsync(CouchClient client, string db, List<(string Id, string Rev)> revisions, int batch, string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        foreach (var chunk in revisions.Chunk(batch))
        {
            using var answer = await client.PostArrayAsync($"{db}/_bulk_get?revs=true", "docs", chunk, (writer, revision) =>
            {
                writer.WriteStartObject();
                writer.WriteString("id", revision.Id);
                writer.WriteString("rev", revision.Rev);
                writer.WriteEndObject();
            });
            var file = Path.Combine(folder, files.Count + ".json");
            await using (var stream = File.Create(file))
            await using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartArray();
                foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
                    foreach (var entry in result.GetProperty("docs").EnumerateArray())
                        (entry.TryGetProperty("ok", out var doc) ? doc : throw new InvalidOperationException($"_bulk_get could not read {entry}")).WriteTo(writer);
                writer.WriteEndArray();
            }
            files.Add(file);
        }
        return (files.Count, files);
    }

    private static async Task<(int, bool)> BulkDocsAsync(CouchClient client, string db, List<string> files)
    {
        foreach (var file in files)
        {
            var docs = await File.ReadAllBytesAsync(file);
            using var answer = await client.PostAsync($"{db}/_bulk_docs", writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("new_edits", false);
                writer.WritePropertyName("docs");
                writer.WriteRawValue(docs, skipInputValidation: true);
                writer.WriteEndObject();
            });
            if (answer.RootElement.EnumerateArray().FirstOrDefault(row => row.TryGetProperty("error", out _)) is { ValueKind: JsonValueKind.Object } refused)
                throw new InvalidOperationException($"_bulk_docs refused {refused}");
        }
        return (files.Count, true);
    }
}
