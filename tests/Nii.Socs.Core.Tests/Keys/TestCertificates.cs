using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NSec.Cryptography;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>Client certificates and their private keys, made in the test: RSA 2048, EC P-256 and X25519.</summary>
/// <remarks>RSA key generation is slow, so each kind is generated once per test run and shared.</remarks>
internal static class TestCertificates
{
    private static readonly Lazy<Issued> s_rsa = new(() => MakeRsa("operator-rsa"));
    private static readonly Lazy<Issued> s_rsaOther = new(() => MakeRsa("operator-rsa-2"));
    private static readonly Lazy<Issued> s_p256 = new(() => MakeP256("operator-p256"));
    private static readonly Lazy<Issued> s_p256Other = new(() => MakeP256("operator-p256-2"));
    private static readonly Lazy<Issued> s_x25519 = new(() => MakeX25519("operator-x25519"));
    private static readonly Lazy<Issued> s_x25519Other = new(() => MakeX25519("operator-x25519-2"));
    private static readonly Lazy<X509Certificate2> s_ca = new(MakeCa);

    public static Issued Rsa => s_rsa.Value;

    public static Issued RsaOther => s_rsaOther.Value;

    public static Issued P256 => s_p256.Value;

    public static Issued P256Other => s_p256Other.Value;

    public static Issued X25519 => s_x25519.Value;

    public static Issued X25519Other => s_x25519Other.Value;

    public static Issued[] All => [Rsa, P256, X25519];

    /// <summary>A certificate, its private key as unencrypted PKCS#8 PEM, and the same as PKCS#8 DER.</summary>
    internal sealed record Issued(X509Certificate2 Certificate, string PrivateKeyPem, byte[] Pkcs8)
    {
        public string CertificatePem => Certificate.ExportCertificatePem();

        public override string ToString() => Certificate.Subject;
    }

    public static Issued MakeRsa(string name, int bits = 2048)
    {
        using var rsa = RSA.Create(bits);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), rsa.ExportPkcs8PrivateKeyPem(), rsa.ExportPkcs8PrivateKey());
    }

    public static Issued MakeP256(string name)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", ec, HashAlgorithmName.SHA256);
        var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), ec.ExportPkcs8PrivateKeyPem(), ec.ExportPkcs8PrivateKey());
    }

    /// <summary>An X25519 key cannot sign its own certificate: a P-256 test CA issues it over the raw SubjectPublicKeyInfo.</summary>
    public static Issued MakeX25519(string name)
    {
        using var key = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var raw = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var publicKey = new System.Security.Cryptography.X509Certificates.PublicKey(new Oid("1.3.101.110"), null, new AsnEncodedData(raw));
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}"), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyAgreement, critical: true));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var ca = s_ca.Value.GetECDsaPrivateKey()!;
        var cert = request.Create(s_ca.Value.SubjectName, X509SignatureGenerator.CreateForECDsa(ca), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100), serial);
        var pkcs8 = key.Export(KeyBlobFormat.PkixPrivateKey);
        var pem = PemEncoding.WriteString("PRIVATE KEY", pkcs8);
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), pem, pkcs8);
    }

    private static X509Certificate2 MakeCa()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Nii.Socs test CA", ec, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
    }
}
