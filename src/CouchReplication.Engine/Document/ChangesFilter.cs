using System.Globalization;
using System.Text;

namespace CouchReplication.Document;

/// <summary>
/// Which changes a replication takes from the source: all of them, a list of ids, a Mango
/// selector, a filter function in a design document, or a view's map function.
/// </summary>
internal sealed class ChangesFilter
{
    private ChangesFilter(ChangesFilterKind kind, IReadOnlyList<string>? docIds = null,
        IDictionary<string, object?>? selector = null, string? name = null, IDictionary<string, object?>? queryParams = null)
    {
        Kind = kind;
        DocIds = docIds;
        Selector = selector;
        Matcher = selector is null ? null : Mango.Selector.Parse(selector);
        Name = name;
        QueryParams = queryParams ?? new Dictionary<string, object?>();
    }

    public ChangesFilterKind Kind { get; }
    public IReadOnlyList<string>? DocIds { get; }
    public IDictionary<string, object?>? Selector { get; }

    /// <summary>The selector normalised as CouchDB normalises it, for a source that applies it itself (a database file); parsing it refuses an invalid one.</summary>
    public Mango.Selector? Matcher { get; }

    /// <summary>The filter function as <c>ddoc/name</c>, or the view as <c>ddoc/view</c>.</summary>
    public string? Name { get; }

    public IDictionary<string, object?> QueryParams { get; }

    /// <summary>The error for a filter a database file source cannot apply: one that runs a design document's JavaScript.</summary>
    public static CouchReplicationException NotForFileSource() => CouchReplicationException.InvalidArgument("filter",
        "a database file source cannot run a design document's JavaScript (a filter function or _view); use doc_ids or selector");

    public static readonly ChangesFilter None = new(ChangesFilterKind.None);

    /// <summary>
    /// Exactly these documents, ids taken as they are (a document's doc_ids are percent-decoded
    /// first): for asking the feed about documents already read from it.
    /// </summary>
    public static ChangesFilter ForDocIds(IReadOnlyList<string> ids) => new(ChangesFilterKind.DocIds, docIds: ids);

    /// <summary>Builds the filter of a document, refusing one that names two kinds of filter.</summary>
    public static ChangesFilter From(CouchReplicationDoc doc)
    {
        var given = new List<string>();
        if (doc.DocIds is not null) given.Add("doc_ids");
        if (!string.IsNullOrEmpty(doc.Filter)) given.Add("filter");
        if (doc.Selector is not null) given.Add("selector");
        if (given.Count > 1)
            throw CouchReplicationException.InvalidArgument(string.Join(" and ", given),
                "only one of doc_ids, filter and selector may be given");

        if (doc.DocIds is not null)
        {
            var docIds = doc.DocIds.Select(Unquote).Distinct(StringComparer.Ordinal).OrderBy(Encoding.UTF8.GetBytes, ByteOrder.Instance).ToArray();
            if (docIds.Any(string.IsNullOrEmpty)) throw CouchReplicationException.InvalidArgument("doc_ids", "must not contain empty ids");
            return new ChangesFilter(ChangesFilterKind.DocIds, docIds: docIds);
        }
        if (doc.Selector is not null) return new ChangesFilter(ChangesFilterKind.Selector, selector: doc.Selector);
        if (string.IsNullOrEmpty(doc.Filter)) return None;

        var queryParams = doc.QueryParams ?? new Dictionary<string, object?>();
        if (doc.Filter == "_view")
        {
            var view = queryParams.TryGetValue("view", out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
            if (view is null || view.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                throw CouchReplicationException.InvalidArgument("query_params.view", "filter _view needs query_params.view as 'ddoc/view'");
            return new ChangesFilter(ChangesFilterKind.View, name: view, queryParams: queryParams);
        }
        if (doc.Filter.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            throw CouchReplicationException.InvalidArgument("filter", $"'{doc.Filter}' is not of the form 'ddoc/name' (or '_view')");
        return new ChangesFilter(ChangesFilterKind.Function, name: doc.Filter, queryParams: queryParams);
    }

    /// <summary>
    /// A <c>doc_ids</c> entry as CouchDB reads it: percent-encoded, so <c>_design%2Ffoo</c> is
    /// <c>_design/foo</c>, and (with CouchDB's default <c>decode_plus_to_space</c>) <c>+</c> is a
    /// space; a literal plus is <c>%2B</c>. A <c>%</c> not followed by two hex digits stays as it is.
    /// </summary>
    internal static string Unquote(string id) => System.Net.WebUtility.UrlDecode(id);

    /// <summary>Ids in CouchDB's order (Erlang sorts binaries byte by byte), so the replication id does not depend on how they were listed.</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>What of this filter goes into the replication id; the function's source code for a filter function.</summary>
    public object? Identity(string? functionCode) => Kind switch
    {
        ChangesFilterKind.None => null,
        ChangesFilterKind.DocIds => new Dictionary<string, object?> { ["doc_ids"] = DocIds },
        ChangesFilterKind.Selector => new Dictionary<string, object?> { ["selector"] = Selector },
        ChangesFilterKind.Function => new Dictionary<string, object?>
        {
            ["filter"] = Name, ["code"] = functionCode?.Trim(), ["query_params"] = QueryParams,
        },
        _ => new Dictionary<string, object?> { ["view"] = Name, ["query_params"] = QueryParams },
    };
}

/// <summary>The kinds of <see cref="ChangesFilter"/>.</summary>
internal enum ChangesFilterKind
{
    None,
    DocIds,
    Selector,
    Function,
    View,
}
