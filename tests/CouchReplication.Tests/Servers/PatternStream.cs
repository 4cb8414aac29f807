namespace CouchReplication.Tests.Servers;

/// <summary>A read-only stream of <c>length</c> pseudo-random bytes, made as they are read, for large attachments without large buffers.</summary>
public sealed class PatternStream(long length, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private long _position;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        _random.NextBytes(buffer.AsSpan(offset, n));
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
