using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CouchReplication.Json;

/// <summary>
/// Converts between JSON and plain .NET values (dictionaries, lists, strings, numbers, booleans),
/// the shape replication-document fields such as selector or query_params take in object form.
/// </summary>
internal static class PlainJson
{
    public static object? ToPlain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject()
            .ToDictionary(p => p.Name, p => ToPlain(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(ToPlain).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>Parses JSON text that must be an object; <paramref name="field"/> names it in the error.</summary>
    public static Dictionary<string, object?> ParseObject(string json, string field)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CouchReplicationException.InvalidArgument(field, "must be a JSON object");
            return (Dictionary<string, object?>)ToPlain(doc.RootElement)!;
        }
        catch (JsonException e)
        {
            throw CouchReplicationException.InvalidArgument(field, $"is not valid JSON ({e.Message})");
        }
    }

    /// <summary>Writes a plain value; with <paramref name="canonical"/> object keys are sorted so equal values give equal text.</summary>
    public static void Write(Utf8JsonWriter writer, object? value, bool canonical = false)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element when canonical:
                Write(writer, ToPlain(element), canonical);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double or decimal:
                writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                var entries = Entries(dictionary);
                foreach (var (key, item) in canonical ? entries.OrderBy(e => e.Key, StringComparer.Ordinal) : entries)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item, canonical);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence) Write(writer, item, canonical);
                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// The entries of any dictionary with string keys. (Enumerating a generic dictionary as
    /// IEnumerable gives KeyValuePairs, not DictionaryEntries; its IDictionaryEnumerator does not.)
    /// </summary>
    public static IEnumerable<(string Key, object? Value)> Entries(IDictionary dictionary)
    {
        var entries = dictionary.GetEnumerator();
        while (entries.MoveNext())
            yield return (Convert.ToString(entries.Key, CultureInfo.InvariantCulture)!, entries.Value);
    }

    public static string Serialize(object? value, bool canonical = false, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
            Write(writer, value, canonical);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
