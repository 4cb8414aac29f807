namespace CouchReplication;

/// <summary>
/// Marks a <see cref="CouchReplicationDoc"/> property as a field of the replication document and
/// says, in this one place, what the field is: its JSON name, CouchDB's default and the smallest
/// value allowed. The document's JSON, the settings the engine runs with, the cmdlets' parameters
/// and their help all read it, so a new field is one property with this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ReplicationDocFieldAttribute : Attribute
{
    /// <summary>Describes the field named <paramref name="json"/> in CouchDB's JSON.</summary>
    public ReplicationDocFieldAttribute(string json) => Json = json;

    /// <summary>The field's name in CouchDB's JSON (<c>worker_batch_size</c>).</summary>
    public string Json { get; }

    /// <summary>The value CouchDB uses when the document leaves the field out; null when there is none.</summary>
    public object? Default { get; set; }

    /// <summary>For a number: the smallest value allowed.</summary>
    public int Minimum { get; set; }

    /// <summary>For a sequence (<c>since_seq</c>): an opaque value that stays a number in JSON when it is one.</summary>
    public bool IsSequence { get; set; }

    /// <summary>For an object: also given as JSON text (a Mango selector is often written that way).</summary>
    public bool AcceptsJsonText { get; set; }

    /// <summary>
    /// The internal property holding the value as given, where the public one masks a password
    /// (a proxy URL): written to JSON only when credentials are asked for.
    /// </summary>
    public string? Unmasked { get; set; }
}
