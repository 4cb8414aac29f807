using System.Collections;
using System.Management.Automation;

namespace CouchReplication.Commands;

/// <summary>
/// Turns what PowerShell hands a cmdlet (PSObject wrappers, PSCustomObject from ConvertFrom-Json,
/// hashtables, arrays) into the plain dictionaries, lists and values the engine takes.
/// </summary>
internal static class PSValues
{
    public static object? ToPlain(object? value)
    {
        if (value is PSObject wrapped)
        {
            if (wrapped.BaseObject is PSCustomObject)
            {
                var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in wrapped.Properties) properties[property.Name] = ToPlain(property.Value);
                return properties;
            }
            value = wrapped.BaseObject;
        }
        return value switch
        {
            null or string => value,
            IDictionary map => Dictionary(map),
            IEnumerable items => items.Cast<object?>().Select(ToPlain).ToList(),
            _ => value,
        };
    }

    public static Dictionary<string, object?>? Dictionary(IDictionary? map)
    {
        if (map is null) return null;
        var plain = new Dictionary<string, object?>(StringComparer.Ordinal);
        var entries = map.GetEnumerator();
        while (entries.MoveNext()) plain[entries.Key.ToString()!] = ToPlain(entries.Value);
        return plain;
    }

    public static CouchCredential? Credential(PSCredential? credential) =>
        credential is null || credential == PSCredential.Empty
            ? null
            : new CouchCredential(credential.UserName, credential.GetNetworkCredential().Password);

    /// <summary>A replication document from a CouchReplicationDoc, a hashtable or an object with its fields.</summary>
    public static CouchReplicationDoc ToDoc(object input, string parameter) => ToPlain(input) switch
    {
        CouchReplicationDoc doc => doc,
        IDictionary fields => CouchReplicationDoc.FromDictionary(fields),
        var other => throw CouchReplicationException.InvalidArgument(parameter,
            $"expected a CouchReplicationDoc, a hashtable or an object with source and target, not {other?.GetType().Name ?? "null"}"),
    };

    /// <summary>
    /// The ErrorRecord for an engine failure: stable ErrorId, fitting category, what to do, and as
    /// its target the endpoint at fault (the request's URL, redacted) or else what the user gave,
    /// with no password: an error record is printed, logged and kept in $Error.
    /// </summary>
    public static ErrorRecord ErrorRecord(CouchReplicationException error, object? target)
    {
        var record = new ErrorRecord(error, error.ErrorId, ErrorCategories.Of(error.Kind), error.Url ?? Masked(target));
        if (ErrorCategories.RecommendedAction(error.Kind) is { } action)
            record.ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = action };
        return record;
    }

    /// <summary>
    /// A target object safe to show: URLs masked, a document as a CouchReplicationDoc (which
    /// masks), tasks as they are (their URLs are masked); anything else as masked text.
    /// </summary>
    private static object? Masked(object? target)
    {
        switch (target is PSObject wrapped && wrapped.BaseObject is not PSCustomObject ? wrapped.BaseObject : target)
        {
            case null or CouchReplicationDoc or CouchReplicationTask or CouchActiveTask:
                return target;
            case string text:
                return CouchReplicationDoc.MaskCredentials(text);
            case string[] texts:
                return texts.Select(CouchReplicationDoc.MaskCredentials).ToArray();
        }
        try
        {
            return ToDoc(target!, "InputObject");
        }
        catch (Exception e) when (e is CouchReplicationException or ArgumentException)
        {
            return ToPlain(target) is IDictionary fields
                ? CouchReplicationDoc.MaskCredentials(string.Join("; ", fields.Keys.Cast<object>().Select(k => $"{k}={fields[k]}")))
                : CouchReplicationDoc.MaskCredentials(Convert.ToString(target, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }
    }
}
