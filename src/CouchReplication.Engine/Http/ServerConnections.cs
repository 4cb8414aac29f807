using System.Net;
using CouchReplication.Document;

namespace CouchReplication.Http;

/// <summary>
/// The connection pools of this process, one per server and way of connecting to it: every
/// replication end that reaches the same server the same way borrows the same pool, so a thousand
/// replications to one server reuse a few connections instead of opening a pool each (CouchDB's
/// replicator shares its connections per server too). A pool holds no credentials of the database:
/// they travel in each request's Authorization header (and cookies are off). How many connections
/// one end may use at once is its own limit (<see cref="CouchHttp"/>), not the pool's. A pool no
/// end has borrowed for <see cref="Linger"/> is closed.
/// </summary>
internal static class ServerConnections
{
    /// <summary>
    /// How long an unused pool stays open for the next replication to the same server: as long as
    /// an idle connection is kept, so a pipeline of replications one after another reuses them.
    /// </summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMinutes(1);

    private static readonly Dictionary<ConnectionKey, Pool> Pools = [];

    /// <summary>Borrows the pool for <paramref name="endpoint"/> reached with <paramref name="settings"/>, opening it if needed; dispose to give it back.</summary>
    public static Lease Borrow(CouchEndpoint endpoint, HttpSettings settings)
    {
        var key = ConnectionKey.Of(endpoint, settings);
        lock (Pools)
        {
            if (!Pools.TryGetValue(key, out var pool)) Pools[key] = pool = new Pool(key, Open(endpoint, settings));
            pool.Borrowers++;
            pool.Closing.Change(Timeout.Infinite, Timeout.Infinite);
            return new Lease(pool.Handler, () => GiveBack(pool));
        }
    }

    /// <summary>Closes every pool no replication has borrowed, at once: for leaving the session or removing the module.</summary>
    public static void CloseUnused()
    {
        lock (Pools)
            foreach (var pool in Pools.Values.Where(p => p.Borrowers == 0).ToList())
                Close(pool);
    }

    private static SocketsHttpHandler Open(CouchEndpoint endpoint, HttpSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            // Each replication end keeps to its http_connections; a limit here shared by all of them
            // would let a few continuous feeds, which hold a connection each, stall every other job.
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = Linger,
            ConnectTimeout = settings.ConnectionTimeout,
            // A redirect could carry the Authorization header to another host; CouchDB does not redirect API calls.
            AllowAutoRedirect = false,
            // No Accept-Encoding: a compressing server (pouchdb-server's express) would hold back the
            // continuous feed's lines and heartbeats in its gzip buffer, and attachments CouchDB
            // stores compressed must travel as they are.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = endpoint.Proxy is not null,
            Proxy = endpoint.Proxy?.ToWebProxy(),
        };
        if (!settings.SocketOptions.IsDefault) handler.ConnectCallback = settings.SocketOptions.ConnectAsync;
        if (settings.SkipCertificateCheck) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return handler;
    }

    private static void GiveBack(Pool pool)
    {
        lock (Pools)
            if (--pool.Borrowers == 0) pool.Closing.Change(Linger, Timeout.InfiniteTimeSpan);
    }

    private static void CloseIfUnused(Pool pool)
    {
        lock (Pools)
            if (pool.Borrowers == 0 && Pools.TryGetValue(pool.Key, out var current) && current == pool)
                Close(pool);
    }

    private static void Close(Pool pool)
    {
        Pools.Remove(pool.Key);
        pool.Closing.Dispose();
        pool.Handler.Dispose();
    }

    /// <summary>
    /// Everything that makes two connections not interchangeable: the server (scheme, host, port),
    /// the proxy with its credentials (the handler answers the proxy's challenge), connection_timeout,
    /// socket_options, and whether certificates are checked.
    /// </summary>
    private sealed record ConnectionKey(string Server, Uri? Proxy, string? ProxyUser, string? ProxyPassword,
        TimeSpan ConnectTimeout, SocketOptions SocketOptions, bool SkipCertificateCheck)
    {
        public static ConnectionKey Of(CouchEndpoint endpoint, HttpSettings settings) =>
            new(endpoint.Server, endpoint.Proxy?.Address, endpoint.Proxy?.Credential?.UserName, endpoint.Proxy?.Credential?.Password,
                settings.ConnectionTimeout, settings.SocketOptions, settings.SkipCertificateCheck);

        // The proxy's password stays out of anything printed.
        public override string ToString() => Server;
    }

    private sealed class Pool
    {
        public Pool(ConnectionKey key, SocketsHttpHandler handler)
        {
            Key = key;
            Handler = handler;
            Closing = new Timer(_ => CloseIfUnused(this), null, Timeout.Infinite, Timeout.Infinite);
        }

        public ConnectionKey Key { get; }

        public SocketsHttpHandler Handler { get; }

        /// <summary>Closes the pool <see cref="Linger"/> after its last borrower gave it back.</summary>
        public Timer Closing { get; }

        public int Borrowers { get; set; }
    }

    /// <summary>One replication end's use of a pool; disposing gives it back, once.</summary>
    public sealed class Lease(HttpMessageHandler handler, Action giveBack) : IDisposable
    {
        private int _returned;

        public HttpMessageHandler Handler { get; } = handler;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0) giveBack();
        }
    }
}
