using System.Text;

namespace CouchReplication.CouchApi;

/// <summary>A path relative to the database with its query parameters, each key and value percent-encoded.</summary>
internal sealed class QueryString(string path)
{
    private readonly StringBuilder _text = new(path);
    private bool _first = true;

    public QueryString Add(string key, string value)
    {
        _text.Append(_first ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        _first = false;
        return this;
    }

    public QueryString Add(string key, long value) => Add(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string ToString() => _text.ToString();
}
