using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CouchReplication.Document;

/// <summary>
/// The <c>socket_options</c> field in CouchDB's Erlang syntax, e.g.
/// <c>[{keepalive, true}, {nodelay, false}]</c>. keepalive and nodelay are applied to every
/// connection; the other Erlang inet options have no .NET counterpart and are ignored with a warning.
/// </summary>
internal sealed partial record SocketOptions(bool? KeepAlive, bool? NoDelay)
{
    public static readonly SocketOptions Default = new(null, null);

    public bool IsDefault => KeepAlive is null && NoDelay is null;

    public static SocketOptions Parse(string? text, ICollection<string> warnings)
    {
        if (string.IsNullOrWhiteSpace(text)) return Default;
        var trimmed = text.Trim();
        if (!trimmed.StartsWith('[') || !trimmed.EndsWith(']'))
            throw CouchReplicationException.InvalidArgument("socket_options", $"'{text}' is not an Erlang list such as [{{keepalive, true}}, {{nodelay, false}}]");
        var options = Default;
        var matches = OptionPattern().Matches(trimmed);
        if (matches.Count == 0 && trimmed[1..^1].Trim().Length > 0)
            throw CouchReplicationException.InvalidArgument("socket_options", $"'{text}' has no {{name, value}} tuples");
        foreach (Match option in matches)
        {
            var (name, value) = (option.Groups[1].Value, option.Groups[2].Value.Trim());
            bool? flag = value switch { "true" => true, "false" => false, _ => null };
            if (name == "keepalive" && flag is not null) options = options with { KeepAlive = flag };
            else if (name == "nodelay" && flag is not null) options = options with { NoDelay = flag };
            else warnings.Add($"socket_options: {{{name}, {value}}} is ignored (only keepalive and nodelay apply here).");
        }
        return options;
    }

    /// <summary>Connects a socket with these options, for SocketsHttpHandler.ConnectCallback.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (KeepAlive is { } keepAlive) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, keepAlive);
            socket.NoDelay = NoDelay ?? true;
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"\{\s*([a-z_]+)\s*,\s*([^{}]+?)\s*\}")]
    private static partial Regex OptionPattern();
}
