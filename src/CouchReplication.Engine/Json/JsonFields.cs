using System.Globalization;
using System.Text.Json;

namespace CouchReplication.Json;

/// <summary>
/// Optional fields of a server's JSON answers. Servers differ in what they send (CouchDB 3,
/// CouchDB 1.x, pouchdb-server) and send null for what they do not know, so every reader here
/// gives null for a field that is absent, null or of another type, never an exception.
/// </summary>
internal static class JsonFields
{
    public static JsonElement? Field(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? StringOf(this JsonElement e, string name) =>
        e.Field(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static long? LongOf(this JsonElement e, string name) =>
        e.Field(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : null;

    public static bool? BoolOf(this JsonElement e, string name) => e.Field(name)?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A sequence as text: strings as they are, numbers (PouchDB, CouchDB 1.x) as digits.</summary>
    public static string? SeqOf(this JsonElement e, string name) =>
        e.Field(name) is { ValueKind: JsonValueKind.String or JsonValueKind.Number } v ? Seq.From(v).ToString() : null;

    /// <summary>A time as <c>_active_tasks</c> (Unix seconds) or the scheduler and PouchDB (ISO 8601 text) give it.</summary>
    public static DateTimeOffset? TimeOf(this JsonElement e, string name) => e.Field(name) switch
    {
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out var seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds),
        { ValueKind: JsonValueKind.String } v when DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var time) => time,
        _ => null,
    };

    public static IEnumerable<JsonElement> ArrayOf(this JsonElement e, string name) =>
        e.Field(name) is { ValueKind: JsonValueKind.Array } v ? v.EnumerateArray() : [];

    /// <summary>The strings of an array field; other items are left out.</summary>
    public static List<string> StringsOf(this JsonElement e, string name) =>
        e.ArrayOf(name).Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList();

    public static JsonElement? ObjectOf(this JsonElement e, string name) =>
        e.Field(name) is { ValueKind: JsonValueKind.Object } v ? v : null;
}
