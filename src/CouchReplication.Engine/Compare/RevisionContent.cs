using System.Text.Json;
using CouchReplication.CouchApi;
using CouchReplication.Json;

namespace CouchReplication.Compare;

/// <summary>
/// What a revision holds, for -Deep: its body without the fields that say how a database gave it,
/// and its attachments by name and digest (the stubs; the data is not read).
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
        var differing = ours.Keys.Union(theirs.Keys).Where(name => ours.GetValueOrDefault(name) != theirs.GetValueOrDefault(name))
            .Order(StringComparer.Ordinal).ToList();
        if (differing.Count > 0) yield return new CouchDifference(id, rev, CouchDifferenceKind.AttachmentDiffers, string.Join(", ", differing));
    }

    /// <summary>Each attachment's digest, or its length and type when a database gives no digest.</summary>
    private static Dictionary<string, string> Attachments(JsonElement body) =>
        body.ObjectOf("_attachments") is { } attachments
            ? attachments.EnumerateObject().ToDictionary(a => a.Name,
                a => a.Value.StringOf("digest") ?? $"{a.Value.LongOf("length")} {a.Value.StringOf("content_type")}", StringComparer.Ordinal)
            : [];
}
