using System.Text.RegularExpressions;

namespace CouchReplication.Mango;

/// <summary>
/// A selector's field name as a path into a document (<c>mango_util:parse_field</c>): split at
/// dots, <c>\.</c> being a dot within a name (every backslash is then dropped); an empty part is
/// invalid. A part reaches into an object by key, or into an array by a decimal index.
/// </summary>
internal static partial class FieldPath
{
    /// <summary>What <see cref="Find"/> found: the value, no such field, or a path through something that is neither object nor array (Mango's bad_path).</summary>
    public enum Outcome
    {
        Found,
        NotFound,
        BadPath,
    }

    /// <summary>The parts of <paramref name="field"/>, or null when one is empty.</summary>
    public static string[]? Parse(string field)
    {
        var parts = field.Contains('\\')
            ? UnescapedDot().Split(field).Select(p => p.Length == 0 ? p : p.Replace("\\", "", StringComparison.Ordinal)).ToArray()
            : field.Split('.');
        return parts.Any(p => p.Length == 0) ? null : parts;
    }

    public static Outcome Find(object? value, string[] path, out object? found)
    {
        found = value;
        foreach (var part in path)
        {
            switch (found)
            {
                case MangoObject o:
                    if (!o.TryGet(part, out found)) return Outcome.NotFound;
                    break;
                case object?[] items:
                    // list_to_integer: an optional sign and decimal digits.
                    if (!int.TryParse(part, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var index)
                        || index < 0 || index >= items.Length)
                        return Outcome.BadPath;
                    found = items[index];
                    break;
                default:
                    return Outcome.BadPath;
            }
        }
        return Outcome.Found;
    }

    [GeneratedRegex(@"(?<!\\)\.")]
    private static partial Regex UnescapedDot();
}
