using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CouchReplication.Bench;

/// <summary>What was seeded, and how fast the server took it.</summary>
internal sealed record SeedResult(int Docs, int Revisions, TimeSpan Elapsed);

/// <summary>
/// Fills the source database through <c>_bulk_docs</c> with <c>new_edits:false</c> and explicit
/// revisions, so a conflicting second leaf goes in with the same request; requests hold at most
/// 4 MiB of documents (<see cref="DocsPerRequest"/>). The seeding rate is
/// itself a figure: the server's write speed for ready-made bodies.
/// </summary>
internal sealed class Seeder
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private readonly BenchOptions _options;
    private readonly char[] _textPool;
    private readonly string[] _attachmentData;
    private readonly int _textLength;

    public Seeder(BenchOptions options)
    {
        _options = options;
        // Random text, so CouchDB's file compression cannot shrink the documents to nothing;
        // every document takes a different slice of one pool.
        var random = new Random(42);
        _textPool = new char[64 * 1024 + options.Size];
        for (var i = 0; i < _textPool.Length; i++) _textPool[i] = Alphabet[random.Next(Alphabet.Length)];
        _attachmentData = Enumerable.Range(0, options.Attachments).Select(_ =>
        {
            var bytes = new byte[options.AttachmentSize];
            random.NextBytes(bytes);
            return Convert.ToBase64String(bytes);
        }).ToArray();
        var overhead = Encoding.UTF8.GetByteCount($$"""{"_id":"{{Id(0)}}","_rev":"{{Rev(0, "a")}}","n":0,"text":""}""");
        _textLength = Math.Max(0, options.Size - overhead);
    }

    /// <summary>
    /// Documents per request: --raw-batch-size, or fewer when their attachments would pass 4 MiB
    /// (a request's body is built in memory; CouchDB reads and writes large bodies of base64 slower than several small ones).
    /// </summary>
    public static int DocsPerRequest(BenchOptions options)
    {
        var docBytes = options.Size + (long)options.Attachments * options.AttachmentSize;
        return (int)Math.Clamp(RequestBytes / docBytes, 1, options.RawBatchSize);
    }

    private const long RequestBytes = 4L << 20;

    public static string Id(int n) => $"doc-{n:D9}";

    public async Task<SeedResult> SeedAsync(CouchClient client, string db)
    {
        var batchSize = DocsPerRequest(_options);
        var batches = Enumerable.Range(0, (_options.Docs + batchSize - 1) / batchSize);
        var revisions = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = _options.RawParallel }, async (batch, token) =>
        {
            var first = batch * batchSize;
            var count = Math.Min(batchSize, _options.Docs - first);
            var written = 0;
            using var answer = await client.PostAsync($"{db}/_bulk_docs", writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("new_edits", false);
                writer.WriteStartArray("docs");
                for (var n = first; n < first + count; n++)
                {
                    WriteDoc(writer, n, "a");
                    written++;
                    if (n % 100 < _options.ConflictPercent)
                    {
                        WriteDoc(writer, n, "b");
                        written++;
                    }
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            if (answer.RootElement.EnumerateArray().FirstOrDefault(r => r.TryGetProperty("error", out _)) is { ValueKind: JsonValueKind.Object } error)
                throw new InvalidOperationException($"Seeding failed: {error}");
            Interlocked.Add(ref revisions, written);
        });
        return new SeedResult(_options.Docs, revisions, clock.Elapsed);
    }

    /// <summary>One leaf revision of document <paramref name="n"/>; branches "a" and "b" conflict.</summary>
    private void WriteDoc(Utf8JsonWriter writer, int n, string branch)
    {
        writer.WriteStartObject();
        writer.WriteString("_id", Id(n));
        writer.WriteString("_rev", Rev(n, branch));
        writer.WriteNumber("n", n);
        writer.WriteString("text", _textPool.AsSpan((int)(((long)n * 7919 + branch[0]) % (64 * 1024)), _textLength));
        if (_attachmentData.Length > 0)
        {
            writer.WriteStartObject("_attachments");
            for (var k = 0; k < _attachmentData.Length; k++)
            {
                writer.WriteStartObject($"att-{k}");
                writer.WriteString("content_type", "application/octet-stream");
                writer.WriteString("data", _attachmentData[k]);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static string Rev(int n, string branch) => "1-" + Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{n}/{branch}")));
}
