namespace CouchReplication;

/// <summary>
/// One document written with <see cref="CouchDocumentWriter"/>, as <c>_bulk_docs</c> answers for
/// it: its id and new revision, or the error and reason it was refused with (a <c>conflict</c>
/// when it names no revision of an existing document, or not the latest of a branch).
/// </summary>
public sealed record CouchDocumentWrite(string Id, string? Rev, string? Error, string? Reason)
{
    /// <summary>Whether the document was written.</summary>
    public bool Ok => Error is null;

    /// <summary>The database written to: its URL with the password masked, or a database file's full path.</summary>
    public string Database { get; init; } = "";

    /// <summary>The id and new revision, or the id and why it was refused.</summary>
    public override string ToString() => Ok ? $"{Id} {Rev}" : $"{Id}: {Error} {Reason}".TrimEnd();
}
