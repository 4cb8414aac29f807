using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>
/// A document revision as a database gave it, with its history (<c>_revisions</c>) and its
/// attachments as stubs or inline. <see cref="Body"/> is written to the other database as it is.
/// </summary>
internal sealed class DocRevision(JsonElement body)
{
    public JsonElement Body { get; } = body;

    /// <summary>The document id; empty when the JSON has none.</summary>
    public string Id { get; } = body.StringOf("_id") ?? "";

    public string? Rev { get; } = body.StringOf("_rev");

    /// <summary>The revision and its ancestors, newest first.</summary>
    public IEnumerable<string> History => RevAndRevisions().Distinct();

    private IEnumerable<string> RevAndRevisions()
    {
        if (Rev is { } own) yield return own;
        if (Body.ObjectOf("_revisions") is not { } revisions || revisions.LongOf("start") is not { } generation) yield break;
        foreach (var hash in revisions.ArrayOf("ids")) yield return $"{generation--}-{hash.GetString()}";
    }

    /// <summary>The attachments, as their stubs describe them.</summary>
    public IReadOnlyList<AttachmentStub> Attachments =>
        Body.ObjectOf("_attachments") is { } attachments
            ? attachments.EnumerateObject().Select(a => new AttachmentStub(a.Value.LongOf("revpos"), a.Value.LongOf("length"), a.Value.Field("encoding") is not null)).ToList()
            : [];
}

/// <summary>
/// An attachment as its stub describes it: the generation that added it (<c>revpos</c>), its
/// length, and whether it is stored compressed (<c>encoding</c>, given with <c>att_encoding_info</c>).
/// </summary>
internal sealed record AttachmentStub(long? RevPos, long? Length, bool Encoded)
{
    /// <summary>
    /// The stub fields that describe a compressed attachment's stored form (<c>encoding</c>,
    /// <c>encoded_length</c>): what a reader that takes attachments decoded leaves out.
    /// </summary>
    public static bool DescribesStoredForm(string field) => field is "encoding" or "encoded_length";
}

/// <summary>One entry of a <c>_bulk_get</c> result or an <c>open_revs</c> answer: a revision, or what the database said instead.</summary>
internal sealed record RevisionEntry(DocRevision? Revision, string? Problem)
{
    public static RevisionEntry Parse(JsonElement entry) =>
        entry.ObjectOf("ok") is { } ok ? new RevisionEntry(new DocRevision(ok), null) : new RevisionEntry(null, ProblemOf(entry));

    /// <summary>What an entry that is not a document says: <c>{"missing": rev}</c>, or an error (nested in _bulk_get, beside its reason in open_revs).</summary>
    internal static string ProblemOf(JsonElement entry)
    {
        if (entry.Field("missing") is { } missing) return $"revision {missing} is missing";
        if (entry.Field("error") is not { } error) return $"an unexpected entry {entry.GetRawText()}";
        var holder = error.ValueKind == JsonValueKind.Object ? error : entry;
        var name = holder.Field("error") is { } named ? named.ToString() : error.ToString();
        return holder.Field("reason") is { } reason ? $"{name}: {reason}" : name;
    }
}

/// <summary>What a read gave, and the parsed answer its revisions point into: dispose it once they are written.</summary>
internal sealed class ReadAnswer<T>(T value, IDisposable answer) : IDisposable
{
    public T Value { get; } = value;

    public void Dispose() => answer.Dispose();
}
