using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CouchReplication.Http;

/// <summary>
/// A request body written straight onto the connection by a <see cref="Utf8JsonWriter"/>, so a
/// large <c>_bulk_docs</c> body is never assembled as one string first.
/// </summary>
internal sealed class JsonBody : HttpContent
{
    private readonly Action<Utf8JsonWriter> _write;

    public JsonBody(Action<Utf8JsonWriter> write)
    {
        _write = write;
        Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true });
        _write(writer);
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
