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

    /// <summary>
    /// A refused document as an error, for a caller that reports it: a conflict is Conflict,
    /// forbidden and unauthorized (a validate_doc_update) their kinds, anything else BadRequest.
    /// </summary>
    /// <exception cref="InvalidOperationException">The document was written.</exception>
    public CouchReplicationException Refusal()
    {
        if (Ok) throw new InvalidOperationException($"{Id} was written ({Rev}): there is no refusal");
        var kind = Error switch
        {
            "conflict" => CouchErrorKind.Conflict,
            "forbidden" => CouchErrorKind.Forbidden,
            "unauthorized" => CouchErrorKind.Unauthorized,
            _ => CouchErrorKind.BadRequest,
        };
        return new CouchReplicationException(kind, $"The database {Database} refused document '{Id}': {Error} {Reason}".TrimEnd(),
            error: Error, reason: Reason);
    }

    /// <summary>The id and new revision, or the id and why it was refused.</summary>
    public override string ToString() => Ok ? $"{Id} {Rev}" : $"{Id}: {Error} {Reason}".TrimEnd();
}
