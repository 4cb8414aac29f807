using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace CouchReplication.Multipart;

/// <summary>
/// A document with attachments as CouchDB takes it in <c>PUT /db/doc?new_edits=false</c>:
/// multipart/related, the document's JSON first (its attachments marked <c>"follows": true</c>),
/// then each attachment's bytes in the same order, copied from their source streams as they are
/// sent, so an attachment is never held in memory whole.
/// </summary>
internal sealed class MultipartRelatedBody : HttpContent, CouchReplication.Http.IStreamedBody
{
    private readonly byte[] _json;
    private readonly IReadOnlyList<long> _lengths;
    private readonly Func<CancellationToken, Task<Stream?>> _nextAttachment;
    private readonly string _boundary = Guid.NewGuid().ToString("N");

    /// <param name="json">The document, UTF-8 JSON.</param>
    /// <param name="lengths">The byte length of each following attachment, in order (the encoded length for a compressed one).</param>
    /// <param name="nextAttachment">Gives the stream of the next attachment, in order.</param>
    public MultipartRelatedBody(byte[] json, IReadOnlyList<long> lengths, Func<CancellationToken, Task<Stream?>> nextAttachment)
    {
        _json = json;
        _lengths = lengths;
        _nextAttachment = nextAttachment;
        Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/related; boundary=\"{_boundary}\"");
    }

    /// <inheritdoc/>
    public Action? Sent { get; set; }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
    {
        await stream.WriteAsync(Ascii($"--{_boundary}\r\nContent-Type: application/json\r\n\r\n"), ct);
        await stream.WriteAsync(_json, ct);
        foreach (var length in _lengths)
        {
            await stream.WriteAsync(Ascii($"\r\n--{_boundary}\r\n\r\n"), ct);
            var attachment = await _nextAttachment(ct)
                ?? throw new InvalidDataException("The source sent fewer attachments than its document announces.");
            var copied = await CopyAsync(attachment, stream, ct);
            if (copied != length)
                throw new InvalidDataException($"An attachment had {copied} bytes where its document announces {length}.");
        }
        await stream.WriteAsync(Ascii($"\r\n--{_boundary}--"), ct);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <summary>CouchDB reads a multipart document by its Content-Length, which the announced lengths give exactly.</summary>
    protected override bool TryComputeLength(out long length)
    {
        length = Ascii($"--{_boundary}\r\nContent-Type: application/json\r\n\r\n").Length + _json.Length
            + _lengths.Sum(l => Ascii($"\r\n--{_boundary}\r\n\r\n").Length + l)
            + Ascii($"\r\n--{_boundary}--").Length;
        return true;
    }

    private async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
                total += read;
                Sent?.Invoke();
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
