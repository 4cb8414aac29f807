using System.Net;

namespace CouchReplication.Http;

/// <summary>
/// An answer's body that its reader keeps (a continuous changes feed, a multipart document): it
/// holds one of its replication end's http_connections until it is disposed, as the connection
/// under it is busy until then.
/// </summary>
internal sealed class HeldContent : HttpContent
{
    private readonly HttpContent _inner;
    private IDisposable? _slot;

    /// <summary>Takes the place of <paramref name="inner"/>, with its headers; disposing it releases <paramref name="slot"/>.</summary>
    public HeldContent(HttpContent inner, IDisposable slot)
    {
        _inner = inner;
        _slot = slot;
        foreach (var (name, values) in inner.Headers) Headers.TryAddWithoutValidation(name, values);
    }

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => _inner.ReadAsStreamAsync(cancellationToken);

    protected override Task<Stream> CreateContentReadStreamAsync() => _inner.ReadAsStreamAsync();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _inner.CopyToAsync(stream, context, cancellationToken);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            Interlocked.Exchange(ref _slot, null)?.Dispose();
        }
        base.Dispose(disposing);
    }
}
