using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace CouchReplication.Mango;

/// <summary>
/// A JSON value as CouchDB holds it once decoded (Erlang's EJSON), which is what Mango matches:
/// <c>null</c>, <see cref="bool"/>, <see cref="MangoNumber"/>, <see cref="string"/>, an array as
/// <c>object?[]</c>, an object as <see cref="MangoObject"/> (its members in their order,
/// duplicates kept, as jiffy decodes them).
/// </summary>
internal static class MangoValue
{
    public static object? From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new MangoObject(element.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, From(p.Value))).ToArray()),
        JsonValueKind.Array => element.EnumerateArray().Select(From).ToArray(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => MangoNumber.Parse(element.GetRawText()),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>
    /// Erlang's exact equality (<c>=:=</c>), which <c>$all</c> uses through <c>lists:member</c>:
    /// an integer never equals a float, and objects are equal only with the same members in the same order.
    /// </summary>
    public static bool ExactlyEqual(object? a, object? b, bool numbersByValue = false) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (MangoNumber x, MangoNumber y) => numbersByValue ? MangoNumber.Compare(x, y) == 0 : x.Equals(y),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (object?[] x, object?[] y) => x.Length == y.Length && x.Zip(y).All(p => ExactlyEqual(p.First, p.Second, numbersByValue)),
        (MangoObject x, MangoObject y) => x.Members.Count == y.Members.Count
            && x.Members.Zip(y.Members).All(p => p.First.Key == p.Second.Key && ExactlyEqual(p.First.Value, p.Second.Value, numbersByValue)),
        _ => false,
    };

    /// <summary>A value as JSON text, for error messages.</summary>
    public static string Text(object? value)
    {
        var text = new StringBuilder();
        Write(text, value);
        return text.ToString();
    }

    private static void Write(StringBuilder text, object? value)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                break;
            case bool b:
                text.Append(b ? "true" : "false");
                break;
            case MangoNumber n:
                text.Append(n);
                break;
            case string s:
                text.Append(JsonSerializer.Serialize(s));
                break;
            case object?[] items:
                text.Append('[');
                for (var i = 0; i < items.Length; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(text, items[i]);
                }
                text.Append(']');
                break;
            case MangoObject o:
                text.Append('{');
                for (var i = 0; i < o.Members.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    text.Append(JsonSerializer.Serialize(o.Members[i].Key)).Append(':');
                    Write(text, o.Members[i].Value);
                }
                text.Append('}');
                break;
        }
    }
}

/// <summary>A JSON object's members in their order.</summary>
internal sealed class MangoObject(IReadOnlyList<KeyValuePair<string, object?>> members)
{
    public IReadOnlyList<KeyValuePair<string, object?>> Members { get; } = members;

    public MangoObject(string key, object? value) : this([new KeyValuePair<string, object?>(key, value)])
    {
    }

    /// <summary>The one member of an object that has exactly one (the shape every normalised condition has).</summary>
    public bool IsSingle(out string key, out object? value)
    {
        (key, value) = Members.Count == 1 ? (Members[0].Key, Members[0].Value) : ("", null);
        return Members.Count == 1;
    }

    /// <summary>The first member named <paramref name="key"/>, as Erlang's <c>lists:keyfind</c> finds it.</summary>
    public bool TryGet(string key, out object? value)
    {
        foreach (var member in Members)
            if (member.Key == key)
            {
                value = member.Value;
                return true;
            }
        value = null;
        return false;
    }
}

/// <summary>
/// A JSON number as jiffy decodes it: an integer (of any size) when the text has no fraction or
/// exponent, else a float. The difference matters: <c>$mod</c> takes integers only, and <c>$all</c>
/// tells 1 from 1.0.
/// </summary>
internal readonly record struct MangoNumber(BigInteger? Integer, double Float)
{
    public static MangoNumber Parse(string text) =>
        text.AsSpan().IndexOfAny('.', 'e', 'E') < 0
            ? new MangoNumber(BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), 0)
            : new MangoNumber(null, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));

    public bool IsInteger => Integer is not null;

    /// <summary>By value, integers against floats as Erlang's arithmetic comparison does (1 and 1.0 are equal).</summary>
    public static int Compare(MangoNumber a, MangoNumber b)
    {
        if (a.Integer is { } x && b.Integer is { } y) return x.CompareTo(y);
        var byDouble = a.AsDouble.CompareTo(b.AsDouble);
        if (byDouble != 0 || a.IsInteger == b.IsInteger) return byDouble;
        // Equal as doubles: an integer too large for a double's precision still differs from the float.
        var exact = a.Integer ?? new BigInteger(a.Float);
        return exact.CompareTo(b.Integer ?? new BigInteger(b.Float));
    }

    private double AsDouble => Integer is { } i ? (double)i : Float;

    public override string ToString() => Integer is { } i ? i.ToString(CultureInfo.InvariantCulture) : Float.ToString("R", CultureInfo.InvariantCulture);
}
