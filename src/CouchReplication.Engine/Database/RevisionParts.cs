namespace CouchReplication.Database;

/// <summary>
/// An <c>open_revs</c> answer with attachments, read one part at a time while it streams; each
/// part is written (or disposed) before the next is asked for.
/// </summary>
internal interface IRevisionParts : IAsyncDisposable
{
    /// <summary>The next part, or null at the end of the answer.</summary>
    Task<RevisionPart?> NextAsync(CancellationToken ct);
}

/// <summary>A part of an <c>open_revs</c> answer with attachments; dispose it once it is written.</summary>
internal abstract class RevisionPart : IDisposable
{
    private readonly IDisposable[] _owned;

    protected RevisionPart(params IDisposable[] owned) => _owned = owned;

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }
}

/// <summary>
/// Revisions with nothing to stream, written with <c>_bulk_docs</c>: a revision with no attachment
/// to send, or, from a server without multipart (pouchdb-server), the revisions of the whole
/// answer with every attachment inline.
/// </summary>
internal sealed class PlainRevisions(IReadOnlyList<DocRevision> revisions, IDisposable answer) : RevisionPart(answer)
{
    public IReadOnlyList<DocRevision> Revisions { get; } = revisions;
}

/// <summary>
/// A revision whose attachments follow it (<c>"follows": true</c>), in their stored encoding:
/// its JSON as the database sent it, and the attachments' streams one after the other.
/// </summary>
internal sealed class RevisionWithAttachments(DocRevision revision, byte[] json, Func<CancellationToken, Task<Stream?>> nextAttachment,
    params IDisposable[] owned) : RevisionPart(owned)
{
    public DocRevision Revision { get; } = revision;

    /// <summary>The revision's JSON, UTF-8.</summary>
    public byte[] Json { get; } = json;

    /// <summary>The stream of the next attachment, in the order of the JSON's <c>_attachments</c>; null after the last.</summary>
    public Func<CancellationToken, Task<Stream?>> NextAttachment { get; } = nextAttachment;
}

/// <summary>An answer that does not give the revision, and what it said instead.</summary>
internal sealed class RevisionNotGiven(string problem) : RevisionPart
{
    public string Problem { get; } = problem;
}
