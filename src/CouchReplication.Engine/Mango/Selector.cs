using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.Mango;

/// <summary>
/// A Mango selector, normalised once as CouchDB normalises it, matched against documents as
/// CouchDB's <c>_changes?filter=_selector</c> matches each revision (<c>mango_selector:match</c>).
/// </summary>
internal sealed class Selector
{
    private readonly MangoObject _normal;

    /// <summary>Every field of the selector, parsed into its path once.</summary>
    private readonly Dictionary<string, string[]> _paths = new(StringComparer.Ordinal);

    /// <summary>The conditions that CouchDB accepts but a file source could not run as CouchDB does: $regex and $mod.</summary>
    private readonly List<MangoObject> _ported = [];

    private Selector(MangoObject normal)
    {
        _normal = normal;
        Collect(normal);
    }

    /// <summary>Normalises a replication document's selector; one CouchDB would refuse is an InvalidArgument naming what is wrong.</summary>
    public static Selector Parse(IDictionary<string, object?> selector)
    {
        using var json = JsonDocument.Parse(PlainJson.Serialize(selector));
        return new Selector(SelectorNormalization.Normalize((MangoObject)MangoValue.From(json.RootElement)!));
    }

    /// <summary>
    /// For a source that applies the selector itself (a database file): refuses to run without ICU, a <c>$regex</c>
    /// .NET cannot compile (PCRE-only syntax, such as a possessive <c>a++</c>), and <c>$mod</c> by 0,
    /// which CouchDB accepts and then fails the whole request on at the first integer it meets.
    /// </summary>
    public void RefuseWhatAFileCannotRun()
    {
        if (!MangoCollation.HasUnicodeCollation)
            throw CouchReplicationException.InvalidArgument("selector",
                "a database file source compares strings by Unicode collation, as CouchDB does, which needs ICU; this process runs in .NET's invariant globalization mode");
        foreach (var condition in _ported)
        {
            condition.IsSingle(out var op, out var arg);
            if (op == "$regex" && !MangoRegex.Compiles((string)arg!))
                throw SelectorNormalization.BadArg(op, arg, "a regular expression .NET compiles: a database file source runs $regex with .NET");
            if (op == "$mod" && ((MangoNumber)((object?[])arg!)[0]!).Integer!.Value.IsZero)
                throw SelectorNormalization.BadArg(op, arg, "a divisor other than 0");
        }
    }

    /// <summary>Whether a document (as CouchDB gives it: _id, _rev, _deleted, the body, attachment stubs) matches.</summary>
    public bool Matches(MangoObject document) => _normal.Members.Count == 0 || Match(_normal, document, raw: false);

    /// <summary>
    /// Field names are parsed when a document is matched in CouchDB, which fails the request on an
    /// empty part (<c>a..b</c>); here that is found before the replication starts.
    /// </summary>
    private void Collect(object? selector)
    {
        switch (selector)
        {
            case object?[] items:
                foreach (var item in items) Collect(item);
                break;
            case MangoObject o when o.IsSingle(out var key, out var arg):
                if (key.Length > 0 && !key.StartsWith('$'))
                    _paths[key] = FieldPath.Parse(key) ?? throw CouchReplicationException.InvalidArgument("selector", $"invalid field name: {key}");
                if (key is "$regex" or "$mod") _ported.Add(o);
                // The arguments of comparisons are values, not selectors.
                if (key is "$and" or "$or" or "$not" or "$elemMatch" or "$allMatch" or "$keyMapMatch" || !key.StartsWith('$')) Collect(arg);
                break;
        }
    }

    /// <summary>
    /// mango_selector:match/3. <paramref name="raw"/>: under <c>_id</c>, values compare in Erlang's
    /// term order instead of the view collation.
    /// </summary>
    private bool Match(MangoObject selector, object? value, bool raw)
    {
        selector.IsSingle(out var key, out var arg);
        switch (key)
        {
            case "$and":
                return ((object?[])arg!).All(s => Match((MangoObject)s!, value, raw));
            case "$or":
                // An empty $or matches everything in CouchDB.
                var any = (object?[])arg!;
                return any.Length == 0 || any.Any(s => Match((MangoObject)s!, value, raw));
            case "$not":
                return !Match((MangoObject)arg!, value, raw);
            case "$all":
                return value is object?[] values && All((object?[])arg!, values);
            case "":
                return Match((MangoObject)arg!, value, raw);
            case "$elemMatch":
                return value is object?[] elements && Failing(() => elements.Any(v => Match((MangoObject)arg!, v, raw)));
            case "$allMatch":
                return value is object?[] { Length: > 0 } every && Failing(() => every.All(v => Match((MangoObject)arg!, v, raw)));
            case "$keyMapMatch":
                return value is MangoObject map && Failing(() => map.Members.Any(m => Match((MangoObject)arg!, m.Key, raw)));
            case "$lt":
                return Compare(value, arg, raw) < 0;
            case "$lte":
                return Compare(value, arg, raw) <= 0;
            case "$eq":
                return Compare(value, arg, raw) == 0;
            case "$ne":
                return Compare(value, arg, raw) != 0;
            case "$gte":
                return Compare(value, arg, raw) >= 0;
            case "$gt":
                return Compare(value, arg, raw) > 0;
            case "$in":
                return In((object?[])arg!, value, raw);
            case "$nin":
                var excluded = (object?[])arg!;
                return value is object?[]
                    ? excluded.Length == 0 || !In(excluded, value, raw)
                    : excluded.All(a => Compare(value, a, raw) != 0);
            case "$exists":
                return (bool)arg!;
            case "$type":
                return (string)arg! == TypeName(value);
            case "$mod":
                var (divisor, remainder) = ((MangoNumber)((object?[])arg!)[0]!, (MangoNumber)((object?[])arg!)[1]!);
                return value is MangoNumber { Integer: { } n } && n % divisor.Integer!.Value == remainder.Integer!.Value;
            case "$beginsWith":
                return value is string s && s.StartsWith((string)arg!, StringComparison.Ordinal);
            case "$regex":
                return value is string text && MangoRegex.IsMatch(text, (string)arg!);
            case "$size":
                return value is object?[] sized && sized.Length == ((MangoNumber)arg!).Integer;
            case "$default":
                // A $text search, which only a text index answers: _changes passes every document.
                return true;
            case var _ when key.StartsWith('$'):
                throw new InvalidOperator();
            default:
                return MatchField(key, (MangoObject)arg!, value, raw);
        }
    }

    /// <summary>
    /// Normalisation stops at $elemMatch, $allMatch and $keyMapMatch, so a $nor inside one reaches
    /// the matcher, which knows no $nor; CouchDB catches that error there and counts it as no match.
    /// </summary>
    private static bool Failing(Func<bool> match)
    {
        try
        {
            return match();
        }
        catch (InvalidOperator)
        {
            return false;
        }
    }

    private sealed class InvalidOperator : Exception;

    private bool MatchField(string field, MangoObject condition, object? value, bool raw)
    {
        switch (FieldPath.Find(value, _paths[field], out var found))
        {
            case FieldPath.Outcome.NotFound:
                // Only exactly {"$exists": false} passes a missing field: $ne, $nin or $not do not.
                return condition.IsSingle(out var op, out var arg) && op == "$exists" && arg is false;
            case FieldPath.Outcome.BadPath:
                return false;
            default:
                return Match(condition, found, raw || field == "_id");
        }
    }

    private static int Compare(object? value, object? arg, bool raw) => raw ? MangoCollation.CompareRaw(value, arg) : MangoCollation.Compare(value, arg);

    /// <summary>$in: the value equals one of the arguments; an array value, when one of its elements does.</summary>
    private static bool In(object?[] args, object? value, bool raw) =>
        value is object?[] values
            ? args.Any(a => values.Any(v => Compare(v, a, raw) == 0))
            : args.Any(a => Compare(value, a, raw) == 0);

    /// <summary>$all: every argument is an element of the array (exactly, as lists:member compares), or the one argument is an array equal to it.</summary>
    private static bool All(object?[] args, object?[] values) =>
        args.Length > 0
        && (args.All(a => values.Any(v => MangoValue.ExactlyEqual(a, v)))
            || (args is [object?[] only] && MangoValue.ExactlyEqual(only, values, numbersByValue: true)));

    private static string TypeName(object? value) => value switch
    {
        null => "null",
        bool => "boolean",
        MangoNumber => "number",
        string => "string",
        MangoObject => "object",
        _ => "array",
    };
}
