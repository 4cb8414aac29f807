using System.Collections;
using System.Globalization;
using System.Reflection;
using CouchReplication.Json;

namespace CouchReplication.Document;

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
        json["source"] = Endpoint(doc.SourceUrl, doc.SourceCredential, doc.SourceIamApiKey, doc.SourceHeaders, includeCredentials);
        json["target"] = Endpoint(doc.TargetUrl, doc.TargetCredential, doc.TargetIamApiKey, doc.TargetHeaders, includeCredentials);
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
            ReadEndpoint(value, "source", url => doc.Source = url, c => doc.SourceCredential = c, k => doc.SourceIamApiKey = k, h => doc.SourceHeaders = h);
        else if (Is(name, "target", nameof(CouchReplicationDoc.Target)))
            ReadEndpoint(value, "target", url => doc.Target = url, c => doc.TargetCredential = c, k => doc.TargetIamApiKey = k, h => doc.TargetHeaders = h);
        else if (All.FirstOrDefault(f => Is(name, f.Json, f.Property.Name)) is { } field)
            field.Set(doc, value);
        else
            doc.AdditionalFields[name] = value;
    }

    private static bool Is(string name, string json, string property) =>
        string.Equals(name, json, StringComparison.OrdinalIgnoreCase) || string.Equals(name, property, StringComparison.OrdinalIgnoreCase);

    private static object? Endpoint(string? url, CouchCredential? credential, CouchIamApiKey? iamKey, IDictionary<string, string>? headers,
        bool includeCredentials)
    {
        if (url is null) return null;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            credential ??= CouchCredential.FromUserInfo(uri);
            url = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
        }
        if (credential is null && iamKey is null && (headers is null || headers.Count == 0)) return url;
        var endpoint = new Dictionary<string, object?>(StringComparer.Ordinal) { ["url"] = url };
        if (headers is { Count: > 0 }) endpoint["headers"] = headers.ToDictionary(h => h.Key, h => (object?)h.Value);
        var auth = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (credential is not null)
        {
            var basic = new Dictionary<string, object?> { ["username"] = credential.UserName };
            if (includeCredentials) basic["password"] = credential.Password;
            auth["basic"] = basic;
        }
        if (iamKey is not null)
            auth["iam"] = includeCredentials ? new Dictionary<string, object?> { ["api_key"] = iamKey.Key } : new Dictionary<string, object?>();
        if (auth.Count > 0) endpoint["auth"] = auth;
        return endpoint;
    }

    /// <summary>
    /// An endpoint as a URL or as <c>{url, headers, auth}</c>; <c>auth</c> is <c>basic</c>
    /// (username and password) or IAM, in Cloudant's older form <c>iam.api_key</c> or its newer
    /// <c>ibm.iam.api_key</c>. Any other form of auth is refused: a replication that silently went
    /// out without the credentials meant for it would fail later, or read less than it should.
    /// </summary>
    private static void ReadEndpoint(object? value, string field, Action<string?> url, Action<CouchCredential?> credential,
        Action<CouchIamApiKey?> iamKey, Action<IDictionary<string, string>?> headers)
    {
        if (value is null or string) { url((string?)value); return; }
        var endpoint = AsObject(value, field)!;
        url(endpoint.TryGetValue("url", out var u) ? AsString(u, field + ".url") : null);
        if (endpoint.TryGetValue("headers", out var h) && AsObject(h, field + ".headers") is { } map)
            headers(map.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.OrdinalIgnoreCase));
        if (!endpoint.TryGetValue("auth", out var a) || AsObject(a, field + ".auth") is not { } auth) return;
        foreach (var (form, content) in auth)
        {
            switch (form)
            {
                case "basic" when AsObject(content, field + ".auth.basic") is { } basic:
                    var user = basic.TryGetValue("username", out var n) ? AsString(n, field + ".auth.basic.username") : null;
                    if (string.IsNullOrEmpty(user)) throw CouchReplicationException.InvalidArgument(field + ".auth.basic", "needs a username");
                    credential(new CouchCredential(user, basic.TryGetValue("password", out var p) ? AsString(p, field + ".auth.basic.password") ?? "" : ""));
                    break;
                case "iam":
                    iamKey(IamKey(content, field + ".auth.iam"));
                    break;
                case "ibm" when AsObject(content, field + ".auth.ibm") is { } ibm && ibm.Keys.All(k => k == "iam"):
                    iamKey(IamKey(ibm.TryGetValue("iam", out var iam) ? iam : null, field + ".auth.ibm.iam"));
                    break;
                case "basic" or "ibm":
                    throw CouchReplicationException.InvalidArgument(field + ".auth." + form, "is not in a form this module knows (basic: {username, password}; ibm: {iam: {api_key}})");
                default:
                    throw CouchReplicationException.InvalidArgument(field + ".auth",
                        $"'{form}' is not an authentication this module knows: give basic ({{username, password}}) or iam ({{api_key}})");
            }
        }
    }

    private static CouchIamApiKey IamKey(object? value, string field) =>
        AsObject(value, field) is { } iam && iam.TryGetValue("api_key", out var key) && AsString(key, field + ".api_key") is { Length: > 0 } text
            ? new CouchIamApiKey(text)
            : throw CouchReplicationException.InvalidArgument(field,
                "needs an api_key (ToJson leaves the key out unless asked for it: ToJson($true) to keep it)");

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
