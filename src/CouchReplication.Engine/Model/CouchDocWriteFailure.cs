namespace CouchReplication;

/// <summary>A document revision the target refused; counted in doc_write_failures, not fatal.</summary>
public sealed record CouchDocWriteFailure(string Id, string? Rev, string Error, string? Reason)
{
    /// <summary>The id, revision and CouchDB's error.</summary>
    public override string ToString() => $"{Id} {Rev}: {Error} {Reason}".TrimEnd();
}
