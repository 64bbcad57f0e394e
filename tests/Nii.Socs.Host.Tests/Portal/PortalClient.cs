using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>An HTTPS client of a running portal that presents an operator's PKCS#12 certificate and trusts only the
/// data directory's own CA: the one way the portal tests talk to a portal as a participant would.</summary>
internal sealed class PortalClient : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;
    private readonly SocketsHttpHandler _handler;

    public PortalClient(string data, Uri baseAddress, string p12)
    {
        _certificate = X509CertificateLoader.LoadPkcs12FromFile(p12, null);
        _ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(data, "pki", "ca.crt.pem"));
        _handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [_certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(_ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        Http = new HttpClient(_handler) { BaseAddress = baseAddress };
    }

    public HttpClient Http { get; }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
        _ca.Dispose();
        _certificate.Dispose();
    }
}
