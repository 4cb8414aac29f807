using System.Globalization;
using System.Text;

namespace CouchReplication.Mango;

/// <summary>
/// The two orders Mango compares values in. <see cref="Compare"/> is CouchDB's view collation
/// (<c>couch_ejson_compare</c>): null &lt; false &lt; true &lt; numbers &lt; strings &lt; arrays &lt;
/// objects, strings by ICU's root collation (the Unicode Collation Algorithm), arrays and objects
/// member by member. <see cref="CompareRaw"/> is Erlang's term order, which Mango uses for the
/// <c>_id</c> field (<c>mango_json:cmp_raw</c>): strings byte by byte, after everything else.
/// </summary>
internal static class MangoCollation
{
    // .NET's invariant culture is ICU's root locale on Linux and macOS, the collator CouchDB opens (ucol_open("")).
    private static readonly CompareInfo Uca = CultureInfo.InvariantCulture.CompareInfo;

    /// <summary>
    /// Whether strings collate by ICU here. In .NET's invariant globalization mode (no ICU
    /// libraries, or DOTNET_SYSTEM_GLOBALIZATION_INVARIANT set) they compare as ordinals, "a" after "B".
    /// </summary>
    public static bool HasUnicodeCollation { get; } = Uca.Compare("a", "B", CompareOptions.None) < 0;

    public static int Compare(object? a, object? b)
    {
        var (rankA, rankB) = (Rank(a), Rank(b));
        if (rankA != rankB) return rankA.CompareTo(rankB);
        return (a, b) switch
        {
            (MangoNumber x, MangoNumber y) => MangoNumber.Compare(x, y),
            (string x, string y) => Math.Sign(Uca.Compare(x, y, CompareOptions.None)),
            (object?[] x, object?[] y) => Sequence(x, y, Compare),
            (MangoObject x, MangoObject y) => Members(x, y, (p, q) => Math.Sign(Uca.Compare(p, q, CompareOptions.None)), Compare),
            _ => 0,
        };
    }

    /// <summary>Collation ranks: null, false, true, number, string, array, object.</summary>
    private static int Rank(object? value) => value switch
    {
        null => 0,
        false => 1,
        true => 2,
        MangoNumber => 3,
        string => 4,
        object?[] => 5,
        _ => 6,
    };

    public static int CompareRaw(object? a, object? b)
    {
        var (rankA, rankB) = (RawRank(a), RawRank(b));
        if (rankA != rankB) return rankA.CompareTo(rankB);
        return (a, b) switch
        {
            (MangoNumber x, MangoNumber y) => MangoNumber.Compare(x, y),
            // Atoms compare by name: false < null < true.
            (null or bool, null or bool) => string.CompareOrdinal(AtomName(a), AtomName(b)),
            (string x, string y) => Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)),
            (object?[] x, object?[] y) => Sequence(x, y, CompareRaw),
            // An object is the tuple {Members}: its list of {Key, Value} tuples compared in order.
            (MangoObject x, MangoObject y) => Members(x, y, (p, q) => CompareRaw(p, q), CompareRaw),
            _ => 0,
        };
    }

    /// <summary>Erlang's order of types: number &lt; atom &lt; tuple (an object) &lt; list (an array; the empty one first) &lt; binary (a string).</summary>
    private static int RawRank(object? value) => value switch
    {
        MangoNumber => 0,
        null or bool => 1,
        MangoObject => 2,
        object?[] => 3,
        _ => 4,
    };

    private static string AtomName(object? atom) => atom switch
    {
        null => "null",
        true => "true",
        _ => "false",
    };

    private static int Sequence(object?[] a, object?[] b, Func<object?, object?, int> compare)
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            if (compare(a[i], b[i]) is var c && c != 0) return c;
        return a.Length.CompareTo(b.Length);
    }

    private static int Members(MangoObject a, MangoObject b, Func<string, string, int> keys, Func<object?, object?, int> values)
    {
        for (var i = 0; i < Math.Min(a.Members.Count, b.Members.Count); i++)
        {
            if (keys(a.Members[i].Key, b.Members[i].Key) is var k && k != 0) return k;
            if (values(a.Members[i].Value, b.Members[i].Value) is var v && v != 0) return v;
        }
        return a.Members.Count.CompareTo(b.Members.Count);
    }
}
