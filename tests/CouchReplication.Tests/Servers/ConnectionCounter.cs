using System.Net.Sockets;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A TCP relay on a free loopback port in front of a test server that counts the connections
/// clients open through it: how many in all, and how many were open at once.
/// </summary>
public sealed class ConnectionCounter : LoopbackListener
{
    private readonly Uri _server;
    private readonly object _counting = new();
    private int _open;

    public ConnectionCounter(Uri server)
    {
        _server = server;
        Start();
        Url = new UriBuilder(server) { Port = Port }.Uri;
    }

    /// <summary>The server's root through the relay, with the server's credentials in it.</summary>
    public Uri Url { get; }

    /// <summary>Connections opened through the relay so far.</summary>
    public int Opened { get; private set; }

    /// <summary>The most connections that were open at once.</summary>
    public int MostOpen { get; private set; }

    protected override async Task ServeAsync(TcpClient client)
    {
        Count(+1);
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_server.Host, _server.Port);
                var (near, far) = (client.GetStream(), upstream.GetStream());
                await Task.WhenAny(near.CopyToAsync(far), far.CopyToAsync(near));
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // Either side hung up: the connection is over.
            }
        }
        Count(-1);
    }

    private void Count(int delta)
    {
        lock (_counting)
        {
            _open += delta;
            if (delta > 0) Opened++;
            MostOpen = Math.Max(MostOpen, _open);
        }
    }
}
