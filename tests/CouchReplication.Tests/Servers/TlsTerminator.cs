using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// An HTTPS front for a test server: TLS with a self-signed certificate on a free loopback port,
/// the plain bytes passed on to the server. For the certificate tests.
/// </summary>
public sealed class TlsTerminator : LoopbackListener
{
    private readonly X509Certificate2 _certificate = SelfSigned();
    private readonly Uri _server;

    public TlsTerminator(Uri server)
    {
        _server = server;
        Start();
        Url = new UriBuilder(server) { Scheme = "https", Port = Port }.Uri;
    }

    /// <summary>The server's root over HTTPS, with the server's credentials.</summary>
    public Uri Url { get; }

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(_certificate);
                await upstream.ConnectAsync(_server.Host, _server.Port);
                var plain = upstream.GetStream();
                await Task.WhenAny(tls.CopyToAsync(plain), plain.CopyToAsync(tls));
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException or ObjectDisposedException)
            {
                // The client refused the certificate or hung up: that is what the tests look at.
            }
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _certificate.Dispose();
    }
}
