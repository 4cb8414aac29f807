using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Net;
using System.Management.Automation;
using System.Reflection;
using System.Security;

namespace CouchReplication.Commands;

/// <summary>
/// The replication-document parameters of New-CouchReplicationDoc and Start-CouchReplication,
/// made from the properties of <see cref="CouchReplicationDoc"/> as dynamic parameters: one per
/// property, named after it, with the field's JSON name as an alias. A field added to the
/// document is a parameter without a line here; its help comes from the property's XML
/// documentation (build.ps1 Help).
/// </summary>
internal sealed class ReplicationDocParameters
{
    /// <summary>The parameter set the document's fields belong to.</summary>
    public const string DocumentSet = "Document";

    private static readonly PropertyInfo[] Properties = typeof(CouchReplicationDoc).GetProperties()
        .Where(p => p.SetMethod is { IsPublic: true } && p.Name != nameof(CouchReplicationDoc.AdditionalFields))
        .OrderBy(p => p.MetadataToken)
        .ToArray();

    /// <summary>
    /// The parameters for one invocation. <paramref name="credentialsAlsoIn"/> names another
    /// parameter set that takes -SourceCredential and -TargetCredential too (a piped document's).
    /// </summary>
    public ReplicationDocParameters(string? credentialsAlsoIn = null) => Parameters = Create(credentialsAlsoIn);

    /// <summary>The parameters; PowerShell fills in the values it binds.</summary>
    public RuntimeDefinedParameterDictionary Parameters { get; }

    /// <summary>A parameter's value as typed, for an error about a document that could not be built (the error record masks it).</summary>
    public string Typed(string parameter) => Parameters[parameter].Value as string ?? "";

    /// <summary>
    /// The document a cmdlet was given: the piped one (<paramref name="piped"/>) with the
    /// credential parameters applied, or else the one the bound parameters build; database file
    /// paths in it made full against PowerShell's location (<paramref name="paths"/>).
    /// </summary>
    public CouchReplicationDoc DocOf(object? piped, PathIntrinsics paths) =>
        WithFullPaths(piped is null ? BuildDoc() : WithCredentials(PSValues.ToDoc(piped, "InputObject")), paths, copy: piped is not null);

    /// <summary>
    /// <paramref name="doc"/> with each database file path (<see cref="CouchReplicationDoc.IsDatabaseFile"/>)
    /// made full: relative to PowerShell's current location, not the process's directory, which
    /// PowerShell does not move; PowerShell drives (TestDrive:, ~) work too. A piped document is
    /// copied (<paramref name="copy"/>), so the user's object is left as it was.
    /// </summary>
    public static CouchReplicationDoc WithFullPaths(CouchReplicationDoc doc, PathIntrinsics paths, bool copy = false)
    {
        var source = FullPath(doc.Source, paths);
        var target = FullPath(doc.Target, paths);
        if (source == doc.Source && target == doc.Target) return doc;
        var full = copy ? doc.Copy() : doc;
        // Only the paths are set again: a URL read back has lost its user info, and with it the credential.
        if (source != doc.Source) full.Source = source;
        if (target != doc.Target) full.Target = target;
        return full;
    }

    /// <summary>A database file path made full against PowerShell's location; a URL as it is.</summary>
    internal static string? FullPath(string? url, PathIntrinsics paths)
    {
        if (!CouchReplicationDoc.IsDatabaseFile(url) || url!.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) return url;
        try
        {
            return paths.GetUnresolvedProviderPathFromPSPath(url);
        }
        catch (Exception e) when (e is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or NotSupportedException or PSInvalidOperationException)
        {
            // Not a file system path: the engine names it in its error.
            return url;
        }
    }

    /// <summary>The document from the bound parameters; those not given stay unset and take CouchDB's defaults.</summary>
    public CouchReplicationDoc BuildDoc()
    {
        var doc = new CouchReplicationDoc();
        foreach (var property in Properties)
            if (Parameters[property.Name] is { IsSet: true, Value: var value }) Set(doc, property, value);
        return doc;
    }

    /// <summary>
    /// <paramref name="doc"/> with the parameters that say how to connect (credentials, IAM keys,
    /// token endpoint, authentication) applied, for a piped document: a copy, so the user's object
    /// is left as it was.
    /// </summary>
    public CouchReplicationDoc WithCredentials(CouchReplicationDoc doc)
    {
        var given = Properties.Where(p => ConnectionProperties.Contains(p.Name) && Parameters[p.Name].IsSet).ToList();
        if (given.Count == 0) return doc;
        var copy = doc.Copy();
        foreach (var property in given) Set(copy, property, Parameters[property.Name].Value);
        return copy;
    }

    /// <summary>The properties of how to reach the ends, which a piped document takes as parameters too.</summary>
    private static readonly HashSet<string> ConnectionProperties =
    [
        nameof(CouchReplicationDoc.SourceCredential), nameof(CouchReplicationDoc.TargetCredential),
        nameof(CouchReplicationDoc.SourceIamApiKey), nameof(CouchReplicationDoc.TargetIamApiKey),
        nameof(CouchReplicationDoc.IamTokenUrl), nameof(CouchReplicationDoc.Authentication),
    ];

    /// <summary>Sets one property from the value PowerShell bound to its parameter.</summary>
    private static void Set(CouchReplicationDoc doc, PropertyInfo property, object? value)
    {
        switch (value)
        {
            case SwitchParameter flag:
                doc.SetField(property.Name, flag.IsPresent);
                break;
            case PSCredential credential:
                property.SetValue(doc, PSValues.Credential(credential));
                break;
            case SecureString key:
                property.SetValue(doc, key.Length == 0 ? null : new CouchIamApiKey(new NetworkCredential(string.Empty, key).Password));
                break;
            case IDictionary headers when property.PropertyType == typeof(IDictionary<string, string>):
                property.SetValue(doc, PSValues.Dictionary(headers)!.ToDictionary(h => h.Key, h => Convert.ToString(h.Value, CultureInfo.InvariantCulture) ?? ""));
                break;
            case var _ when property.GetCustomAttribute<ReplicationDocFieldAttribute>() is null && !IsEndpoint(property):
                // Settings of this module that are no document field (IamTokenUrl, Authentication).
                property.SetValue(doc, value);
                break;
            default:
                doc.SetField(property.Name, PSValues.ToPlain(value));
                break;
        }
    }

    private static bool IsEndpoint(PropertyInfo property) => property.Name is nameof(CouchReplicationDoc.Source) or nameof(CouchReplicationDoc.Target);

    private static RuntimeDefinedParameterDictionary Create(string? credentialsAlsoIn)
    {
        var parameters = new RuntimeDefinedParameterDictionary();
        foreach (var property in Properties)
        {
            var field = property.GetCustomAttribute<ReplicationDocFieldAttribute>();
            var endpoint = IsEndpoint(property);
            var attributes = new Collection<Attribute>
            {
                new ParameterAttribute
                {
                    ParameterSetName = DocumentSet,
                    Mandatory = endpoint,
                    Position = property.Name == nameof(CouchReplicationDoc.Source) ? 0 : property.Name == nameof(CouchReplicationDoc.Target) ? 1 : int.MinValue,
                },
            };
            if (endpoint) attributes.Add(new ValidateNotNullOrEmptyAttribute());
            if (field is not null && !field.Json.Equals(property.Name, StringComparison.OrdinalIgnoreCase)) attributes.Add(new AliasAttribute(field.Json));
            var type = ParameterType(property.PropertyType, field);
            if (type == typeof(PSCredential)) attributes.Add(new CredentialAttribute());
            if (credentialsAlsoIn is not null && ConnectionProperties.Contains(property.Name))
                attributes.Add(new ParameterAttribute { ParameterSetName = credentialsAlsoIn });
            parameters.Add(property.Name, new RuntimeDefinedParameter(property.Name, type, attributes));
        }
        return parameters;
    }

    /// <summary>The PowerShell type a user gives a field as.</summary>
    private static Type ParameterType(Type property, ReplicationDocFieldAttribute? field) => property switch
    {
        _ when property == typeof(bool?) => typeof(SwitchParameter),
        _ when property == typeof(int?) => typeof(int),
        _ when property == typeof(CouchCredential) => typeof(PSCredential),
        _ when property == typeof(CouchIamApiKey) => typeof(SecureString),
        _ when Nullable.GetUnderlyingType(property) is { IsEnum: true } underlying => underlying,
        _ when field?.AcceptsJsonText == true => typeof(object),
        _ when typeof(IDictionary).IsAssignableFrom(property) || property.IsGenericType && property.GetGenericTypeDefinition() == typeof(IDictionary<,>) => typeof(Hashtable),
        _ => property,
    };
}
