using System.Net;
using System.Net.Sockets;

namespace CouchReplication.Tests.Servers;

/// <summary>A TCP listener on a free loopback port that serves each connection it accepts on its own task, until disposed.</summary>
public abstract class LoopbackListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Task? _loop;

    protected int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts accepting; a subclass calls it once its own fields are set.</summary>
    protected void Start()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>Serves one accepted connection.</summary>
    protected abstract Task ServeAsync(TcpClient client);

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        _listener.Stop();
        if (_loop is not null) await _loop;
    }
}
