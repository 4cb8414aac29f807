using Microsoft.Data.Sqlite;

namespace CouchReplication.FileDatabase;

/// <summary>
/// An attachment's data as stored in a database file, read as a stream a piece at a time
/// (<see cref="SqliteBlob"/>), so that sending it never holds it whole. Each read takes its turn
/// at the file's one connection for that piece only: a slow target does not keep the file from the
/// other workers. Attachment rows are written once per digest and never changed, so the pieces are
/// of one attachment whatever is written between them.
/// </summary>
internal sealed class StoredAttachmentStream(DatabaseFile file, long rowid, long length) : Stream
{
    /// <summary>The most one read takes from the file.</summary>
    private const int Piece = 64 * 1024;

    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var count = (int)Math.Min(Math.Min(buffer.Length, Piece), length - _position);
        if (count <= 0) return 0;
        var read = await file.UseAsync(c =>
        {
            using var blob = new SqliteBlob(c, "attachments", "data", rowid, readOnly: true);
            blob.Position = _position;
            return Task.FromResult(blob.Read(buffer.Span[..count]));
        }, ct);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
