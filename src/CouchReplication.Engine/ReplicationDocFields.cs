using System.Collections;
using System.Globalization;
using System.Reflection;
using CouchReplication.Json;

namespace CouchReplication;

/// <summary>
/// The replication-document fields, read once from the <see cref="ReplicationDocFieldAttribute"/>s
/// of <see cref="CouchReplicationDoc"/>: how each is written to JSON, read from JSON or a
/// hashtable, and resolved with CouchDB's default. Source and target, which are URLs or endpoint
/// objects with credentials and headers, are read and written here too.
/// </summary>
internal static class ReplicationDocFields
{
    /// <summary>One field: the property that holds it and what its attribute says of it.</summary>
    public sealed record Field(PropertyInfo Property, ReplicationDocFieldAttribute Describes, PropertyInfo? Unmasked)
    {
        public string Json => Describes.Json;

        /// <summary>The value as CouchDB's JSON has it; a masked URL's password only with <paramref name="includeCredentials"/>.</summary>
        public object? Get(CouchReplicationDoc doc, bool includeCredentials)
        {
            var value = (includeCredentials ? Unmasked : null)?.GetValue(doc) ?? Property.GetValue(doc);
            return Describes.IsSequence ? SeqValue((string?)value) : value;
        }

        /// <summary>Sets the field from any form its JSON allows, naming the field when the value does not fit.</summary>
        public void Set(CouchReplicationDoc doc, object? value) => Property.SetValue(doc, Property.PropertyType switch
        {
            var t when t == typeof(bool?) => AsBool(value, Json),
            var t when t == typeof(int?) => AsInt(value, Json),
            var t when t == typeof(string[]) => AsStrings(value, Json),
            var t when t == typeof(IDictionary<string, object?>) => AsObject(value, Json),
            _ when Describes.IsSequence => AsSeqText(value),
            _ => AsString(value, Json),
        });
    }

    /// <summary>Every field, in the order the document declares them.</summary>
    public static IReadOnlyList<Field> All { get; } =
        (from property in typeof(CouchReplicationDoc).GetProperties()
         let describes = property.GetCustomAttribute<ReplicationDocFieldAttribute>()
         where describes is not null
         orderby property.MetadataToken
         select new Field(property, describes, describes.Unmasked is null ? null
             : typeof(CouchReplicationDoc).GetProperty(describes.Unmasked, BindingFlags.Instance | BindingFlags.NonPublic))).ToArray();

    /// <summary>The field a property holds.</summary>
    public static Field Of(string property) => All.Single(f => f.Property.Name == property);

    /// <summary>A flag's value, or CouchDB's default when the document leaves it out.</summary>
    public static bool Flag(CouchReplicationDoc doc, string property) =>
        (bool?)Of(property).Property.GetValue(doc) ?? (bool)Of(property).Describes.Default!;

    /// <summary>A number's value, or CouchDB's default; one below the field's minimum is an error naming the field.</summary>
    public static int Number(CouchReplicationDoc doc, string property)
    {
        var field = Of(property);
        return (int?)field.Property.GetValue(doc) switch
        {
            null => (int)field.Describes.Default!,
            var v when v < field.Describes.Minimum => throw CouchReplicationException.InvalidArgument(field.Json, $"must be at least {field.Describes.Minimum}, not {v}"),
            var v => v.Value,
        };
    }

    public static Dictionary<string, object?> Write(CouchReplicationDoc doc, bool includeCredentials)
    {
        var json = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (doc.Id is not null) json["_id"] = doc.Id;
        json["source"] = Endpoint(doc.SourceUrl, doc.SourceCredential, doc.SourceHeaders, includeCredentials);
        json["target"] = Endpoint(doc.TargetUrl, doc.TargetCredential, doc.TargetHeaders, includeCredentials);
        foreach (var field in All.Where(f => f.Json != "_id"))
            if (field.Get(doc, includeCredentials) is { } value) json[field.Json] = value;
        foreach (var (name, value) in doc.AdditionalFields) json.TryAdd(name, value);
        return json;
    }

    public static CouchReplicationDoc Read(IDictionary fields)
    {
        var doc = new CouchReplicationDoc();
        foreach (var (name, value) in PlainJson.Entries(fields)) Set(doc, name, value);
        return doc;
    }

    /// <summary>Sets one field by its JSON or property name, converting the value as the field needs.</summary>
    public static void Set(CouchReplicationDoc doc, string name, object? value)
    {
        if (Is(name, "source", nameof(CouchReplicationDoc.Source)))
            ReadEndpoint(value, "source", url => doc.Source = url, c => doc.SourceCredential = c, h => doc.SourceHeaders = h);
        else if (Is(name, "target", nameof(CouchReplicationDoc.Target)))
            ReadEndpoint(value, "target", url => doc.Target = url, c => doc.TargetCredential = c, h => doc.TargetHeaders = h);
        else if (All.FirstOrDefault(f => Is(name, f.Json, f.Property.Name)) is { } field)
            field.Set(doc, value);
        else
            doc.AdditionalFields[name] = value;
    }

    private static bool Is(string name, string json, string property) =>
        string.Equals(name, json, StringComparison.OrdinalIgnoreCase) || string.Equals(name, property, StringComparison.OrdinalIgnoreCase);

    private static object? Endpoint(string? url, CouchCredential? credential, IDictionary<string, string>? headers, bool includeCredentials)
    {
        if (url is null) return null;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            credential ??= CouchCredential.FromUserInfo(uri);
            url = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
        }
        if (credential is null && (headers is null || headers.Count == 0)) return url;
        var endpoint = new Dictionary<string, object?>(StringComparer.Ordinal) { ["url"] = url };
        if (headers is { Count: > 0 }) endpoint["headers"] = headers.ToDictionary(h => h.Key, h => (object?)h.Value);
        if (credential is not null)
        {
            var basic = new Dictionary<string, object?> { ["username"] = credential.UserName };
            if (includeCredentials) basic["password"] = credential.Password;
            endpoint["auth"] = new Dictionary<string, object?> { ["basic"] = basic };
        }
        return endpoint;
    }

    private static void ReadEndpoint(object? value, string field, Action<string?> url, Action<CouchCredential?> credential,
        Action<IDictionary<string, string>?> headers)
    {
        if (value is null or string) { url((string?)value); return; }
        var endpoint = AsObject(value, field)!;
        url(endpoint.TryGetValue("url", out var u) ? AsString(u, field + ".url") : null);
        if (endpoint.TryGetValue("headers", out var h) && AsObject(h, field + ".headers") is { } map)
            headers(map.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.OrdinalIgnoreCase));
        if (endpoint.TryGetValue("auth", out var a) && AsObject(a, field + ".auth") is { } auth
            && auth.TryGetValue("basic", out var b) && AsObject(b, field + ".auth.basic") is { } basic)
        {
            var user = basic.TryGetValue("username", out var n) ? AsString(n, field + ".auth.basic.username") : null;
            if (string.IsNullOrEmpty(user)) throw CouchReplicationException.InvalidArgument(field + ".auth.basic", "needs a username");
            credential(new CouchCredential(user, basic.TryGetValue("password", out var p) ? AsString(p, field + ".auth.basic.password") ?? "" : ""));
        }
    }

    private static string? AsString(object? value, string field) => value switch
    {
        null => null,
        string s => s,
        IDictionary or IList => throw CouchReplicationException.InvalidArgument(field, "must be a string"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>since_seq as CouchDB's JSON has it: integer sequences stay numbers.</summary>
    private static object? SeqValue(string? text)
    {
        if (text is null) return null;
        using var json = System.Text.Json.JsonDocument.Parse(Seq.FromUserText(text).RawJson);
        return PlainJson.ToPlain(json.RootElement);
    }

    private static string? AsSeqText(object? value) => value switch
    {
        null => null,
        string s => s,
        IDictionary or IList => PlainJson.Serialize(value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static bool? AsBool(object? value, string field) => value switch
    {
        null => null,
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        _ => throw CouchReplicationException.InvalidArgument(field, $"must be true or false, not '{value}'"),
    };

    private static int? AsInt(object? value, string field)
    {
        switch (value)
        {
            case null: return null;
            case int i: return i;
            case long or short or byte: return checked((int)Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case double d when d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue: return (int)d;
            case string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): return n;
            default: throw CouchReplicationException.InvalidArgument(field, $"must be a whole number, not '{value}'");
        }
    }

    private static string[]? AsStrings(object? value, string field) => value switch
    {
        null => null,
        string s => [s],
        IEnumerable items => items.Cast<object?>().Select(i => AsString(i, field) ?? throw CouchReplicationException.InvalidArgument(field, "must not contain null")).ToArray(),
        _ => throw CouchReplicationException.InvalidArgument(field, "must be a list of document ids"),
    };

    private static IDictionary<string, object?>? AsObject(object? value, string field) => value switch
    {
        null => null,
        string s => PlainJson.ParseObject(s, field),
        IDictionary map => PlainJson.Entries(map).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        _ => throw CouchReplicationException.InvalidArgument(field, "must be an object (a hashtable or JSON text)"),
    };
}
