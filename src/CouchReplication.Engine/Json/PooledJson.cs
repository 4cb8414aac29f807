using System.Buffers;
using System.Text.Json;

namespace CouchReplication.Json;

/// <summary>
/// A JSON answer built in memory and parsed where it was written, in a buffer rented from the
/// shared pool: a batch of revisions with inline attachments is megabytes, and a fresh array for
/// each (and each of its growths) would be garbage on the large-object heap, which only a full
/// collection frees. Disposing it disposes the parsed document, then returns the buffer.
/// </summary>
internal sealed class PooledJson : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _written;
    private JsonDocument? _document;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Parses what was written; the document reads the buffer, so it lives as long as this.</summary>
    public JsonDocument Parse() => _document = JsonDocument.Parse(_buffer.AsMemory(0, _written));

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length) return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        _document?.Dispose();
        _document = null;
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
