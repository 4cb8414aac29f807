using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;

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
        var full = copy ? CouchReplicationDoc.FromJson(doc.ToJson(includeCredentials: true)) : doc;
        // Only the paths are set again: a URL read back has lost its user info, and with it the credential.
        if (source != doc.Source) full.Source = source;
        if (target != doc.Target) full.Target = target;
        return full;
    }

    private static string? FullPath(string? url, PathIntrinsics paths)
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
        {
            if (Parameters[property.Name] is not { IsSet: true, Value: var value }) continue;
            switch (value)
            {
                case SwitchParameter flag:
                    doc.SetField(property.Name, flag.IsPresent);
                    break;
                case PSCredential credential:
                    property.SetValue(doc, PSValues.Credential(credential));
                    break;
                case IDictionary headers when property.PropertyType == typeof(IDictionary<string, string>):
                    property.SetValue(doc, PSValues.Dictionary(headers)!.ToDictionary(h => h.Key, h => Convert.ToString(h.Value, CultureInfo.InvariantCulture) ?? ""));
                    break;
                default:
                    doc.SetField(property.Name, PSValues.ToPlain(value));
                    break;
            }
        }
        return doc;
    }

    /// <summary>
    /// <paramref name="doc"/> with the credentials given as parameters, for a piped document: a
    /// copy, so the user's object is left as it was.
    /// </summary>
    public CouchReplicationDoc WithCredentials(CouchReplicationDoc doc)
    {
        if (Parameters[nameof(CouchReplicationDoc.SourceCredential)] is not { IsSet: true } && Parameters[nameof(CouchReplicationDoc.TargetCredential)] is not { IsSet: true })
            return doc;
        var copy = CouchReplicationDoc.FromJson(doc.ToJson(includeCredentials: true));
        if (Parameters[nameof(CouchReplicationDoc.SourceCredential)] is { IsSet: true, Value: PSCredential source }) copy.SourceCredential = PSValues.Credential(source);
        if (Parameters[nameof(CouchReplicationDoc.TargetCredential)] is { IsSet: true, Value: PSCredential target }) copy.TargetCredential = PSValues.Credential(target);
        return copy;
    }

    private static RuntimeDefinedParameterDictionary Create(string? credentialsAlsoIn)
    {
        var parameters = new RuntimeDefinedParameterDictionary();
        foreach (var property in Properties)
        {
            var field = property.GetCustomAttribute<ReplicationDocFieldAttribute>();
            var endpoint = property.Name is nameof(CouchReplicationDoc.Source) or nameof(CouchReplicationDoc.Target);
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
            if (type == typeof(PSCredential))
            {
                attributes.Add(new CredentialAttribute());
                if (credentialsAlsoIn is not null) attributes.Add(new ParameterAttribute { ParameterSetName = credentialsAlsoIn });
            }
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
        _ when field?.AcceptsJsonText == true => typeof(object),
        _ when typeof(IDictionary).IsAssignableFrom(property) || property.IsGenericType && property.GetGenericTypeDefinition() == typeof(IDictionary<,>) => typeof(Hashtable),
        _ => property,
    };
}
