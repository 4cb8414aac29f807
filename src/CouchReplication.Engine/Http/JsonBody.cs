using System.Net;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CouchReplication.Http;

/// <summary>
/// A request body written straight onto the connection by a <see cref="Utf8JsonWriter"/>, so a
/// large <c>_bulk_docs</c> body is never assembled as one string first.
/// </summary>
internal sealed class JsonBody : HttpContent
{
    /// <summary>
    /// What a body writer gathers before it goes onto the connection: small enough to stay out of
    /// the large object heap, large enough that a flush is rare.
    /// </summary>
    private const int FlushThreshold = 32 * 1024;

    private readonly Func<Utf8JsonWriter, CancellationToken, Task> _write;

    /// <summary>A small body, written in one go.</summary>
    public JsonBody(Action<Utf8JsonWriter> write)
        : this((writer, _) =>
        {
            write(writer);
            return Task.CompletedTask;
        })
    {
    }

    /// <summary>A large body, whose writer calls <see cref="FlushWhenFullAsync"/> between items.</summary>
    public JsonBody(Func<Utf8JsonWriter, CancellationToken, Task> write)
    {
        _write = write;
        Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
    }

    /// <summary>Sends what <paramref name="writer"/> has gathered once it passes the flush threshold.</summary>
    public static ValueTask FlushWhenFullAsync(Utf8JsonWriter writer, CancellationToken ct) =>
        writer.BytesPending >= FlushThreshold ? new ValueTask(writer.FlushAsync(ct)) : ValueTask.CompletedTask;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // Relaxed escaping: the default escapes '+' as \u002B, which adds a twelfth to inline
        // attachments' base64 on the wire; the body is JSON for a database, never HTML.
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        await _write(writer, cancellationToken);
        await writer.FlushAsync(cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
