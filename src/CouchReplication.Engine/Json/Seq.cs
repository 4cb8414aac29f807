using System.Text.Json;

namespace CouchReplication.Json;

/// <summary>
/// An update sequence kept exactly as the server sent it. CouchDB 2+ and Cloudant use opaque
/// strings, PouchDB and CouchDB 1.x integers; neither may be parsed, added or compared.
/// </summary>
internal readonly record struct Seq(string RawJson)
{
    /// <summary>The sequence a replication without a checkpoint starts from.</summary>
    public static readonly Seq Zero = new("0");

    public static Seq From(JsonElement element) => new(element.GetRawText());

    /// <summary>Takes what a user typed: digits stay a number, anything else is a string sequence.</summary>
    public static Seq FromUserText(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) ? new Seq(text) : new Seq(JsonSerializer.Serialize(text));

    /// <summary>The value as it goes into a <c>since=</c> query parameter: strings without their quotes.</summary>
    public string QueryValue => RawJson.StartsWith('"') ? JsonSerializer.Deserialize<string>(RawJson)! : RawJson;

    public void WriteTo(Utf8JsonWriter writer) => writer.WriteRawValue(RawJson, skipInputValidation: true);

    public override string ToString() => QueryValue;
}
