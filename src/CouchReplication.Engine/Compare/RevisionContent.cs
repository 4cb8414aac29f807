using System.Text.Json;
using CouchReplication.Database;
using CouchReplication.Json;

namespace CouchReplication.Compare;

/// <summary>
/// What a revision holds, for -Deep: its body without the fields that say how a database gave it,
/// and its attachments by name and digest, or by length and type where digests cannot be compared
/// (the stubs; the data is not read).
/// </summary>
internal static class RevisionContent
{
    /// <summary>Fields a database adds to what it gives, or that the revision id already covers; <c>_deleted</c> is compared.</summary>
    private static readonly HashSet<string> GivenBy = new(StringComparer.Ordinal)
    {
        "_id", "_rev", "_revisions", "_attachments", "_conflicts", "_deleted_conflicts", "_revs_info", "_local_seq",
    };

    /// <summary>How the two copies of one revision differ: nothing, the body, the attachments, or both.</summary>
    public static IEnumerable<CouchDifference> Differences(DocRevision source, DocRevision target)
    {
        var id = source.Id;
        var rev = source.Rev!;
        if (!JsonEquality.SameMembers(source.Body, target.Body, name => !GivenBy.Contains(name)))
            yield return new CouchDifference(id, rev, CouchDifferenceKind.BodyDiffers);
        var ours = Attachments(source.Body);
        var theirs = Attachments(target.Body);
        var differing = ours.Keys.Union(theirs.Keys)
            .Where(name => !(ours.TryGetValue(name, out var a) && theirs.TryGetValue(name, out var b) && a.Same(b)))
            .Order(StringComparer.Ordinal).ToList();
        if (differing.Count > 0) yield return new CouchDifference(id, rev, CouchDifferenceKind.AttachmentDiffers, string.Join(", ", differing));
    }

    private static Dictionary<string, AttachmentDescription> Attachments(JsonElement body) =>
        body.ObjectOf("_attachments") is { } attachments
            ? attachments.EnumerateObject().ToDictionary(a => a.Name,
                a => new AttachmentDescription(a.Value.StringOf("digest"), a.Value.StringOf("encoding"), a.Value.LongOf("length"), a.Value.StringOf("content_type")),
                StringComparer.Ordinal)
            : [];

    /// <summary>An attachment as its stub describes it.</summary>
    private sealed record AttachmentDescription(string? Digest, string? Encoding, long? Length, string? ContentType)
    {
        /// <summary>
        /// The same attachment: by digest when both give one of the data in the same form. CouchDB
        /// digests what it stores, compressed for a compressible type, and pouchdb-server the bytes
        /// it was given, so when one side stores the attachment compressed and the other does not,
        /// their digests differ for the same content: then by decoded length and type.
        /// </summary>
        public bool Same(AttachmentDescription other) =>
            Digest is not null && other.Digest is not null && Encoding == other.Encoding
                ? Digest == other.Digest
                : Length == other.Length && ContentType == other.ContentType;
    }
}
