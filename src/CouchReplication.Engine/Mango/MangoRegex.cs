using System.Text;
using System.Text.RegularExpressions;

namespace CouchReplication.Mango;

/// <summary>
/// <c>$regex</c> as CouchDB runs it: Erlang's <c>re</c> (PCRE) without the unicode option, so
/// pattern and value are bytes of UTF-8 (a <c>.</c> is one byte of an accented letter) and
/// <c>\w</c>, <c>\d</c>, <c>\s</c> are ASCII only; a search anywhere in the value. Here each byte
/// becomes one character, and .NET's ECMAScript mode gives the ASCII classes; a pattern only
/// the full .NET syntax compiles runs in that instead.
/// </summary>
internal static class MangoRegex
{
    // Erlang's re gives up on a runaway backtrack, and Mango counts that as no match.
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    public static bool Compiles(string pattern) => OptionsFor(pattern) is not null;

    public static bool IsMatch(string value, string pattern)
    {
        try
        {
            // The static Regex methods keep recently used patterns compiled.
            return Regex.IsMatch(Bytes(value), Bytes(pattern), OptionsFor(pattern)!.Value, Limit);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static RegexOptions? OptionsFor(string pattern)
    {
        foreach (var options in new[] { RegexOptions.ECMAScript, RegexOptions.CultureInvariant })
        {
            try
            {
                _ = Regex.IsMatch("", Bytes(pattern), options, Limit);
                return options;
            }
            catch (ArgumentException)
            {
            }
        }
        return null;
    }

    private static string Bytes(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
