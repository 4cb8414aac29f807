namespace CouchReplication.Http;

/// <summary>Document ids as URL path segments.</summary>
internal static class DocPath
{
    /// <summary>
    /// Escapes an id for a URL. Design and local documents keep their prefix's slash, which
    /// CouchDB expects literally; every other character, '/' included, is percent-encoded.
    /// </summary>
    public static string Of(string id)
    {
        foreach (var prefix in new[] { "_design/", "_local/" })
            if (id.StartsWith(prefix, StringComparison.Ordinal))
                return prefix + Uri.EscapeDataString(id[prefix.Length..]);
        return Uri.EscapeDataString(id);
    }
}
