namespace CouchReplication;

/// <summary>
/// The outcome of a comparison of two databases: what was checked, the differences by kind, and
/// the source sequence the answer holds for.
/// </summary>
public sealed class CouchComparisonSummary
{
    /// <summary>True when no difference was found.</summary>
    public bool Identical => Differences == 0;

    /// <summary>The source URL, password masked.</summary>
    public string Source { get; init; } = "";

    /// <summary>The target URL, password masked.</summary>
    public string Target { get; init; } = "";

    /// <summary>
    /// The source's update sequence read when the comparison started: the answer holds for the
    /// source as it was then. Documents changed after it are not judged (see
    /// <see cref="ChangedDuringComparison"/>).
    /// </summary>
    public string SourceSeq { get; init; } = "";

    /// <summary>With -Both, the target's update sequence read at the start, for the extra revisions; empty otherwise.</summary>
    public string TargetSeq { get; init; } = "";

    /// <summary>Whether bodies and attachment digests were compared too (-Deep).</summary>
    public bool Deep { get; init; }

    /// <summary>Whether the target was also checked for revisions the source lacks (-Both).</summary>
    public bool Both { get; init; }

    /// <summary>Documents checked (rows of the changes feeds read; with -Both, of both feeds).</summary>
    public long DocumentsChecked { get; init; }

    /// <summary>Leaf revisions checked with <c>_revs_diff</c>.</summary>
    public long RevisionsChecked { get; init; }

    /// <summary>Revisions compared body by body (-Deep).</summary>
    public long BodiesCompared { get; init; }

    /// <summary>Revisions of the source missing on the target.</summary>
    public long MissingOnTarget { get; init; }

    /// <summary>Revisions of the target missing on the source (-Both).</summary>
    public long ExtraOnTarget { get; init; }

    /// <summary>Revisions on both sides with different bodies (-Deep).</summary>
    public long BodyDiffers { get; init; }

    /// <summary>Revisions on both sides with different attachments (-Deep).</summary>
    public long AttachmentDiffers { get; init; }

    /// <summary>All differences reported.</summary>
    public long Differences => MissingOnTarget + ExtraOnTarget + BodyDiffers + AttachmentDiffers;

    /// <summary>
    /// Documents that differed but were changed after the comparison started (on the side they
    /// were read from): not reported, since their state then can no longer be read. Compare again
    /// once writes have stopped to judge them.
    /// </summary>
    public long ChangedDuringComparison { get; init; }

    /// <summary>How long the comparison took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>One line.</summary>
    public override string ToString() =>
        $"{(Identical ? "identical" : $"{Differences} differences")}: {Source} -> {Target}, {DocumentsChecked} documents, {RevisionsChecked} revisions checked up to seq {SourceSeq}";
}
