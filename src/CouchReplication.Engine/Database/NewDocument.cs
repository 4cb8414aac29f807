using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Database;

/// <summary>
/// CouchDB's rules for a document an application writes, checked before it is sent: CouchDB
/// refuses a whole <c>_bulk_docs</c> request (400) for one document that breaks them, so each is
/// refused alone here and the others are written; a database file follows the same rules.
/// </summary>
internal static class NewDocument
{
    /// <summary>A new document's id as CouchDB makes them: 32 random hex digits.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>Special fields CouchDB accepts in a written document: the document's own, and those describing a read, which it drops.</summary>
    private static readonly HashSet<string> SpecialFields = new(StringComparer.Ordinal)
    {
        "_id", "_rev", "_deleted", "_attachments", "_revisions", "_revs_info", "_conflicts", "_deleted_conflicts", "_local_seq",
    };

    /// <summary>Why CouchDB would refuse the document, as its answer row would say; null when it may be written.</summary>
    public static CouchDocumentWrite? Refusal(JsonElement doc)
    {
        var id = doc.StringOf("_id");
        CouchDocumentWrite Refused(string error, string reason) => new(id ?? "", null, error, reason);

        if (doc.Field("_id") is { } given && given.ValueKind != JsonValueKind.String) return Refused("illegal_docid", "Document id must be a string");
        if (id is { Length: 0 }) return Refused("illegal_docid", "Document id must not be empty");
        if (id is not null && id.StartsWith("_local/", StringComparison.Ordinal))
            return Refused("illegal_docid", "_local documents hold a database's own state, such as checkpoints; they are not written here");
        if (id is not null && id.StartsWith('_') && !id.StartsWith("_design/", StringComparison.Ordinal))
            return Refused("illegal_docid", "Only reserved document ids may start with underscore.");
        foreach (var field in doc.EnumerateObject())
            if (field.Name.StartsWith('_') && !SpecialFields.Contains(field.Name))
                return Refused("doc_validation", $"Bad special document member: {field.Name}");
        return null;
    }
}
