using System.Text.RegularExpressions;

namespace CouchReplication.Document;

/// <summary>
/// The rule that tells a database file from a database URL, wherever a database URL is accepted:
/// an absolute <c>http://</c> or <c>https://</c> URL is a server's database; a <c>file:</c> URL
/// and anything else that has no <c>scheme://</c> (<c>./orders.couchdb</c>,
/// <c>C:\backup\orders.couchdb</c>, <c>/var/backups/orders.couchdb</c>) is the path of a database
/// file. Another scheme (<c>ftp://</c>, a mistyped <c>htp://</c>) is neither, and is refused as a
/// bad URL. A relative path is relative to the current directory (the cmdlets resolve it against
/// PowerShell's current location first).
/// </summary>
internal static partial class DatabaseFilePath
{
    /// <summary>Whether <paramref name="url"/> names a database file rather than a database on a server.</summary>
    public static bool IsPath(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return false;
        var text = url.Trim();
        return text.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || !SchemePattern().IsMatch(text);
    }

    /// <summary>The full path a database file's URL or path names.</summary>
    public static string FullPath(string url, string field)
    {
        var text = url.Trim();
        if (text.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !uri.IsFile)
                throw CouchReplicationException.InvalidArgument(field, $"'{text}' is not a valid file: URL");
            text = uri.LocalPath;
        }
        try
        {
            var full = Path.GetFullPath(text);
            if (full.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(full))
                throw CouchReplicationException.InvalidArgument(field, $"'{text}' is a folder; name the database file in it");
            return full;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw CouchReplicationException.InvalidArgument(field, $"'{text}' is neither an http(s) URL nor a valid file path: {e.Message}");
        }
    }

    /// <summary>A URL's scheme and <c>//</c>: what no file path starts with (a drive letter is followed by <c>:\</c> or <c>:/</c>, never <c>://</c>).</summary>
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*://")]
    private static partial Regex SchemePattern();
}
