using System.Buffers;
using System.Net.Http.Headers;
using System.Text;

namespace CouchReplication.Multipart;

/// <summary>One part of a multipart body: its headers and a stream of its content.</summary>
internal sealed record MultipartSection(IReadOnlyDictionary<string, string> Headers, Stream Body)
{
    public string ContentType => Headers.TryGetValue("Content-Type", out var type) ? type : "text/plain";

    /// <summary>The boundary of a nested multipart part (multipart/related inside multipart/mixed), or null.</summary>
    public string? NestedBoundary => MultipartReader.BoundaryOf(ContentType);
}

/// <summary>
/// Reads a multipart body (RFC 2046) part by part from a stream, without buffering a part: each
/// part's Body reads up to the next boundary, so a 200 MB attachment passes through a 64 KiB
/// buffer. A part must be read (or it is skipped) before the next one is asked for. The buffer is
/// pooled (one reader per document with attachments): dispose the reader once its parts are read.
/// </summary>
internal sealed class MultipartReader : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly Stream _stream;
    private readonly byte[] _delimiter;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start, _end;
    private bool _started, _finished;
    private SectionStream? _current;

    public MultipartReader(Stream stream, string boundary)
    {
        _stream = stream;
        _delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
    }

    /// <summary>The boundary parameter of a multipart content type, or null for any other type.</summary>
    public static string? BoundaryOf(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true
            ? type.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"')
            : null;

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>The next part, or null after the closing boundary.</summary>
    public async Task<MultipartSection?> ReadNextSectionAsync(CancellationToken ct)
    {
        if (_current is not null)
        {
            await _current.CopyToAsync(Stream.Null, ct);
            _current = null;
        }
        if (!_started)
        {
            await SkipPreambleAsync(ct);
            _started = true;
        }
        if (_finished) return null;

        await EnsureAsync(2, ct);
        if (_buffer[_start] == '-' && _buffer[_start + 1] == '-')
        {
            _finished = true;
            return null;
        }
        await ReadLineAsync(ct); // the rest of the boundary line
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(ct); line.Length > 0; line = await ReadLineAsync(ct))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        _current = new SectionStream(this);
        return new MultipartSection(headers, _current);
    }

    /// <summary>Skips to just after the first boundary, which need not follow a line break.</summary>
    private async Task SkipPreambleAsync(CancellationToken ct)
    {
        var first = _delimiter.AsMemory(2);
        while (true)
        {
            var at = _buffer.AsSpan(_start, _end - _start).IndexOf(first.Span);
            if (at >= 0)
            {
                _start += at + first.Length;
                return;
            }
            _start = Math.Max(_start, _end - first.Length);
            if (!await FillAsync(ct)) throw new InvalidDataException("The multipart body has no boundary.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var at = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (at >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, at);
                _start += at + 2;
                return line;
            }
            if (_end - _start == BufferSize) throw new InvalidDataException("A multipart header line is longer than 64 KiB.");
            if (!await FillAsync(ct)) throw new InvalidDataException("The multipart body ended inside a header.");
        }
    }

    private async Task EnsureAsync(int count, CancellationToken ct)
    {
        while (_end - _start < count)
            if (!await FillAsync(ct)) throw new InvalidDataException("The multipart body ended before its closing boundary.");
    }

    /// <summary>Moves the unread bytes to the front and reads more; false at the end of the stream.</summary>
    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == BufferSize) return true;
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end, BufferSize - _end), ct);
        _end += read;
        return read > 0;
    }

    /// <summary>Reads the current part's content: everything up to the next delimiter.</summary>
    private async ValueTask<int> ReadSectionAsync(Memory<byte> destination, CancellationToken ct)
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            var at = available.IndexOf(_delimiter);
            if (at == 0)
            {
                _start += _delimiter.Length;
                return 0;
            }
            // Bytes that cannot be the start of a delimiter are the part's, whatever comes next.
            var safe = at > 0 ? at : available.Length - (_delimiter.Length - 1);
            if (safe > 0)
            {
                var count = Math.Min(safe, destination.Length);
                available[..count].CopyTo(destination.Span);
                _start += count;
                return count;
            }
            if (!await FillAsync(ct)) throw new InvalidDataException("The multipart body ended inside a part.");
        }
    }

    private sealed class SectionStream(MultipartReader reader) : Stream
    {
        private bool _ended;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_ended || buffer.Length == 0) return 0;
            var read = await reader.ReadSectionAsync(buffer, ct);
            _ended = read == 0;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
