using System.Text.Json;

namespace CouchReplication.Json;

/// <summary>
/// Whether two JSON values say the same: objects whatever the order of their members, numbers by
/// value (<c>1.0</c> is <c>1</c>), as two servers may write the same document differently.
/// </summary>
internal static class JsonEquality
{
    public static bool Equal(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                return SameMembers(a, b, _ => true);
            case JsonValueKind.Array:
                return a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => Equal(p.First, p.Second));
            case JsonValueKind.String:
                return a.ValueEquals(b.GetString());
            case JsonValueKind.Number:
                return a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetRawText() == b.GetRawText();
            default:
                return true;
        }
    }

    /// <summary>Whether two objects have the same members among those <paramref name="compared"/> keeps.</summary>
    public static bool SameMembers(JsonElement a, JsonElement b, Func<string, bool> compared)
    {
        var theirs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in b.EnumerateObject())
            if (compared(member.Name)) theirs[member.Name] = member.Value;
        var count = 0;
        foreach (var member in a.EnumerateObject())
        {
            if (!compared(member.Name)) continue;
            count++;
            if (!theirs.TryGetValue(member.Name, out var other) || !Equal(member.Value, other)) return false;
        }
        return count == theirs.Count;
    }
}
