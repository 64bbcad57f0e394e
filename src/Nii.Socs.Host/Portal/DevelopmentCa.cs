using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Host.Portal;

/// <summary>
/// The development certificate authority of <c>socs demo</c>: a CA, the portal's server certificate, and the signing of
/// operators' certificate requests (R6.1, R6.3). It never makes or sees an operator's private key: operators make their
/// own (<see cref="OperatorKeys"/>, <c>socs participant keygen</c>) and send a CSR (<c>socs certificates enrol</c>).
/// </summary>
/// <remarks>
/// Public files under <c>&lt;data&gt;/pki/</c>: <c>ca.crt.pem</c>, <c>server.crt.pem</c>. Private files under
/// <c>&lt;data&gt;.secrets/pki/</c> (<see cref="Pipeline.HostSecrets"/>), never in the data directory: <c>ca.key.pem</c>,
/// <c>server.key.pem</c>, <c>server.p12</c>, each created with mode 0600 in a 0700 directory.
/// <para><b>Security:</b> a development CA is for a laptop demo. A real deployment uses the organization's CA; the
/// portal only needs its certificate (<see cref="Certificate"/>) to validate client chains.</para>
/// <para>Edge case: opening an existing <c>pki/</c> loads the CA instead of making a new one, so certificates issued by
/// an earlier run stay valid.</para>
/// </remarks>
internal sealed class DevelopmentCa : IDisposable
{
    /// <summary>The folder under the data directory.</summary>
    public const string DirectoryName = "pki";

    private const string CaCert = "ca.crt.pem";
    private const string CaKey = "ca.key.pem";

    private readonly TimeProvider _time;

    private DevelopmentCa(string directory, string secretDirectory, X509Certificate2 certificate, TimeProvider time)
    {
        Directory = directory;
        SecretDirectory = secretDirectory;
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The <c>pki</c> folder of the data directory (certificates only).</summary>
    public string Directory { get; }

    /// <summary>The <c>pki</c> folder of the secrets directory (the CA's and the server's private keys).</summary>
    public string SecretDirectory { get; }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Loads the CA under <c>&lt;data&gt;/pki/</c>, or creates it (EC P-256, 10 years).</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="time">The clock for validity periods.</param>
    /// <returns>The CA.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is empty.</exception>
    public static DevelopmentCa OpenOrCreate(string dataDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(time);
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        var secrets = Path.Combine(Pipeline.HostSecrets.DirectoryFor(dataDirectory), DirectoryName);
        Pipeline.PrivateFiles.CreateDirectory(directory);
        Pipeline.PrivateFiles.CreateDirectory(secrets);
        var certPath = Path.Combine(directory, CaCert);
        var keyPath = Path.Combine(secrets, CaKey);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            return new DevelopmentCa(directory, secrets, X509Certificate2.CreateFromPemFile(certPath, keyPath), time);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Nii.Socs development CA, O=Nii.Socs demo", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        Pipeline.PrivateFiles.WriteAllText(certPath, ca.ExportCertificatePem());
        return new DevelopmentCa(directory, secrets, ca, time);
    }

    /// <summary>Issues the portal's TLS server certificate for localhost, 127.0.0.1 and ::1 (EC P-256, 1 year).</summary>
    /// <returns>The issued certificate and its files.</returns>
    public IssuedCertificate IssueServer()
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        return Issue("server", "CN=localhost, O=Nii.Socs portal", new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), san.Build());
    }

    /// <summary>The server certificate under <c>pki/</c>: loaded when present and valid for at least a day, else issued.</summary>
    /// <returns>The certificate with its private key.</returns>
    public X509Certificate2 ServerCertificate()
    {
        var certPath = Path.Combine(Directory, "server.crt.pem");
        var keyPath = Path.Combine(SecretDirectory, "server.key.pem");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var loaded = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (loaded.NotAfter.ToUniversalTime() > _time.GetUtcNow().AddDays(1).UtcDateTime && ValidatesChain(loaded))
            {
                return loaded;
            }

            loaded.Dispose();
        }

        return IssueServer().Certificate;
    }

    /// <summary>Signs a client certificate (1 year) for the public key of a certificate request whose signature was
    /// verified; the subject is the CA's choice, never the request's (R6.3).</summary>
    /// <param name="publicKey">The requester's public key (EC P-256 or RSA).</param>
    /// <param name="subject">The subject, e.g. <c>CN=sato@u-tokyo.example.ac.jp, OU=u-tokyo, O=Nii.Socs operator</c>.</param>
    /// <returns>The certificate, public part only: the CA never holds the private key.</returns>
    public X509Certificate2 SignClient(PublicKey publicKey, X500DistinguishedName subject)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(subject);
        var request = new CertificateRequest(subject, publicKey, HashAlgorithmName.SHA256);
        var isRsa = publicKey.Oid.Value == "1.2.840.113549.1.1.1";
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            isRsa ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement,
            true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], false));
        return Sign(request);
    }

    /// <summary>Whether a client certificate chains to this CA and is meant for client authentication (R6.1).</summary>
    /// <param name="certificate">The presented certificate.</param>
    /// <returns>True when it does.</returns>
    public bool Validates(X509Certificate2 certificate) => ValidatesClient(Certificate, certificate, _time.GetUtcNow());

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> alone and carries the client EKU.</summary>
    /// <param name="ca">The trusted CA.</param>
    /// <param name="certificate">The presented certificate.</param>
    /// <param name="now">The validation instant.</param>
    /// <returns>True when valid.</returns>
    public static bool ValidatesClient(X509Certificate2 ca, X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // Revocation is the registry's business (R6.2): it is checked per request against the thumbprint.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
    }

    private bool ValidatesChain(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        return chain.Build(certificate);
    }

    /// <inheritdoc />
    public void Dispose() => Certificate.Dispose();

    private IssuedCertificate Issue(string name, string subject, Oid usage, X509Extension? san)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, ec, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        using var issued = Sign(request);
        var withKey = issued.CopyWithPrivateKey(ec);
        var certPath = Path.Combine(Directory, name + ".crt.pem");
        var keyPath = Path.Combine(SecretDirectory, name + ".key.pem");
        var p12Path = Path.Combine(SecretDirectory, name + ".p12");
        WritePrivate(keyPath, ec.ExportPkcs8PrivateKeyPem());
        Pipeline.PrivateFiles.WriteAllText(certPath, withKey.ExportCertificatePem());
        WritePrivate(p12Path, withKey.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null));
        return new IssuedCertificate(withKey, KeyWrapper.Thumbprint(withKey), certPath, keyPath, p12Path);
    }

    private X509Certificate2 Sign(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // A CA made elsewhere may lack a subject key identifier; the authority key identifier is optional.
        if (Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        }

        var now = _time.GetUtcNow();
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var notAfter = now.AddYears(1) < Certificate.NotAfter ? now.AddYears(1) : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        // The CA key is EC; an RSA subject needs the generator form, which works for both.
        using var caKey = Certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The development CA has no EC private key.");
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-5), notAfter, serial);
    }

    private static void WritePrivate(string path, string text) => Pipeline.PrivateFiles.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes(text));

    private static void WritePrivate(string path, byte[] bytes) => Pipeline.PrivateFiles.WriteAllBytes(path, bytes);
}

/// <summary>The key type of an operator's key pair (<c>socs participant keygen --type</c>).</summary>
/// <remarks>X25519 is not offered: an X25519 key cannot sign its certificate request, so the CA could not check that
/// the requester holds it. Certificates with X25519 keys made elsewhere are still wrapped to (DESIGN §4).</remarks>
internal enum ClientKeyType
{
    /// <summary>EC P-256; epoch keys are wrapped to it with HPKE (DESIGN §4).</summary>
    EcP256 = 0,

    /// <summary>RSA 3072; epoch keys are wrapped to it with RSA-OAEP-SHA256 (DESIGN §4).</summary>
    Rsa3072 = 1,

    /// <summary>RSA 4096; as RSA 3072.</summary>
    Rsa4096 = 2,
}

/// <summary>A certificate with its private key and files, on the side that holds the key (an operator, or the portal server).</summary>
/// <param name="Certificate">The certificate with its private key.</param>
/// <param name="Thumbprint">SHA-256 of the DER, 64 lower-case hex digits (the registry's form).</param>
/// <param name="CertificatePath">The PEM certificate.</param>
/// <param name="KeyPath">The PEM PKCS#8 private key (mode 0600).</param>
/// <param name="Pkcs12Path">The .p12 with certificate and key, no password, for a browser or curl (mode 0600).</param>
internal sealed record IssuedCertificate(X509Certificate2 Certificate, string Thumbprint, string CertificatePath, string KeyPath, string Pkcs12Path);
