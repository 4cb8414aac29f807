using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace CouchReplication.Multipart;

/// <summary>
/// A document with attachments as CouchDB takes it in <c>PUT /db/doc?new_edits=false</c>:
/// multipart/related, the document's JSON first (its attachments marked <c>"follows": true</c>),
/// then each attachment's bytes in the same order, copied from their source streams as they are
/// sent, so an attachment is never held in memory whole. Each attachment's part is named by a
/// <c>Content-Disposition</c> header, as CouchDB's replicator sends it: CouchDB takes the parts in
/// order, but pouchdb-server (multiparty) takes a part without a file name for the document's JSON
/// and fails on the attachment's bytes.
/// </summary>
internal sealed class MultipartRelatedBody : HttpContent, CouchReplication.Http.IStreamedBody
{
    private readonly byte[] _json;
    private readonly IReadOnlyList<FollowingPart> _parts;
    private readonly Func<CancellationToken, Task<Stream?>> _nextAttachment;
    private readonly string _boundary = Guid.NewGuid().ToString("N");

    /// <param name="json">The document, UTF-8 JSON.</param>
    /// <param name="parts">The name and byte length of each following attachment, in order (the encoded length for a compressed one).</param>
    /// <param name="nextAttachment">Gives the stream of the next attachment, in order.</param>
    public MultipartRelatedBody(byte[] json, IReadOnlyList<FollowingPart> parts, Func<CancellationToken, Task<Stream?>> nextAttachment)
    {
        _json = json;
        _parts = parts;
        _nextAttachment = nextAttachment;
        Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/related; boundary=\"{_boundary}\"");
    }

    /// <inheritdoc/>
    public Action? Sent { get; set; }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
    {
        await stream.WriteAsync(Ascii($"--{_boundary}\r\nContent-Type: application/json\r\n\r\n"), ct);
        await stream.WriteAsync(_json, ct);
        foreach (var (name, length) in _parts)
        {
            await stream.WriteAsync(PartHeader(name), ct);
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
            + _parts.Sum(p => PartHeader(p.Name).Length + p.Length)
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

    /// <summary>The boundary and headers before an attachment's bytes: its name as RFC 5987 gives any name in ASCII.</summary>
    private byte[] PartHeader(string name) =>
        Ascii($"\r\n--{_boundary}\r\nContent-Disposition: attachment; filename*=utf-8''{Uri.EscapeDataString(name)}\r\n\r\n");

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}

/// <summary>An attachment that follows a document's JSON: its name and its byte length as sent.</summary>
internal readonly record struct FollowingPart(string Name, long Length);
