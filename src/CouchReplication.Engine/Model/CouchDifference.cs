namespace CouchReplication;

/// <summary>How a revision differs between the source and the target of a comparison.</summary>
public enum CouchDifferenceKind
{
    /// <summary>A leaf revision of a source document (a conflict or a deletion included) is not on the target.</summary>
    MissingOnTarget,
    /// <summary>A leaf revision of a target document is not on the source (reported with -Both).</summary>
    ExtraOnTarget,
    /// <summary>
    /// The revision is on both sides with different bodies (reported with -Deep): a revision
    /// written again with <c>new_edits=false</c> on one side, or a damaged copy.
    /// </summary>
    BodyDiffers,
    /// <summary>
    /// The revision is on both sides with different attachments (names or digests; reported with
    /// -Deep). <see cref="CouchDifference.Detail"/> names the attachments.
    /// </summary>
    AttachmentDiffers,
}

/// <summary>One revision that differs between the source and the target, as Compare-CouchDatabase reports it.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Rev">The revision.</param>
/// <param name="Kind">How it differs.</param>
/// <param name="Detail">What differs, when the kind alone does not say (the attachments' names); empty otherwise.</param>
public sealed record CouchDifference(string Id, string Rev, CouchDifferenceKind Kind, string Detail = "")
{
    /// <summary>One line: the kind, the document and the revision.</summary>
    public override string ToString() => Detail.Length == 0 ? $"{Kind} {Id} {Rev}" : $"{Kind} {Id} {Rev} ({Detail})";
}
