using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Host.Portal;

/// <summary>
/// The development certificate authority of <c>socs demo</c>: a CA, the portal's server certificate and operator
/// client certificates, all under <c>&lt;data&gt;/pki/</c> (R6.1, R6.3).
/// </summary>
/// <remarks>
/// Files: <c>ca.crt.pem</c>/<c>ca.key.pem</c>; <c>server.crt.pem</c>/<c>server.key.pem</c>/<c>server.p12</c>;
/// <c>operators/&lt;name&gt;.crt.pem</c>/<c>.key.pem</c>/<c>.p12</c>. Every private key file (and every .p12, which holds
/// one) is created with mode 0600. The .p12 files carry no password so that a browser or <c>curl</c> imports them in
/// one step; they are as secret as the key files beside them.
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
    private static readonly UnixFileMode s_private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TimeProvider _time;

    private DevelopmentCa(string directory, X509Certificate2 certificate, TimeProvider time)
    {
        Directory = directory;
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The <c>pki</c> folder.</summary>
    public string Directory { get; }

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
        System.IO.Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, CaCert);
        var keyPath = Path.Combine(directory, CaKey);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            return new DevelopmentCa(directory, X509Certificate2.CreateFromPemFile(certPath, keyPath), time);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Nii.Socs development CA, O=Nii.Socs demo", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, ca.ExportCertificatePem());
        return new DevelopmentCa(directory, ca, time);
    }

    /// <summary>Issues the portal's TLS server certificate for localhost, 127.0.0.1 and ::1 (EC P-256, 1 year).</summary>
    /// <returns>The issued certificate and its files.</returns>
    public IssuedCertificate IssueServer()
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        return Issue("server", "CN=localhost, O=Nii.Socs portal", new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), san.Build(), ClientKeyType.EcP256, Directory);
    }

    /// <summary>The server certificate under <c>pki/</c>: loaded when present and valid for at least a day, else issued.</summary>
    /// <returns>The certificate with its private key.</returns>
    public X509Certificate2 ServerCertificate()
    {
        var certPath = Path.Combine(Directory, "server.crt.pem");
        var keyPath = Path.Combine(Directory, "server.key.pem");
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

    /// <summary>Issues an operator's client certificate (1 year) with files under <c>pki/operators/</c>.</summary>
    /// <param name="name">The file name stem and common name, such as <c>u-tokyo-sato</c>.</param>
    /// <param name="keyType">The key type: EC P-256 (HPKE wrapping) or RSA 3072 (RSA-OAEP wrapping, DESIGN §4).</param>
    /// <returns>The issued certificate and its files.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or not a plain file name.</exception>
    /// <remarks>R6.3: a participant keeps its certificates, past ones too; issuing a new one never touches an old one's
    /// files, except that the same <paramref name="name"/> replaces them, so renewals use a new name.</remarks>
    public IssuedCertificate IssueClient(string name, ClientKeyType keyType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains("..", StringComparison.Ordinal) || name.Contains(',', StringComparison.Ordinal) || name.Contains('=', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A certificate name is a plain file name without ',' or '='; got '{name}'.", nameof(name));
        }

        var directory = Path.Combine(Directory, "operators");
        System.IO.Directory.CreateDirectory(directory);
        return Issue(name, $"CN={name}, O=Nii.Socs operator", new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication"), null, keyType, directory);
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

    private IssuedCertificate Issue(string name, string subject, Oid usage, X509Extension? san, ClientKeyType keyType, string directory)
    {
        using var rsa = keyType == ClientKeyType.Rsa3072 ? RSA.Create(3072) : null;
        using var ec = keyType == ClientKeyType.EcP256 ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = rsa is not null
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, ec!, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            rsa is not null ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement,
            true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // A CA made elsewhere (the demo's) may lack a subject key identifier; the authority key identifier is optional.
        if (Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        }
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var now = _time.GetUtcNow();
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var notAfter = now.AddYears(1) < Certificate.NotAfter ? now.AddYears(1) : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        // The CA key is EC; an RSA subject needs the generator form, which works for both.
        using var caKey = Certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The development CA has no EC private key.");
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-5), notAfter, serial);
        var withKey = rsa is not null ? issued.CopyWithPrivateKey(rsa) : issued.CopyWithPrivateKey(ec!);
        var certPath = Path.Combine(directory, name + ".crt.pem");
        var keyPath = Path.Combine(directory, name + ".key.pem");
        var p12Path = Path.Combine(directory, name + ".p12");
        WritePrivate(keyPath, rsa is not null ? rsa.ExportPkcs8PrivateKeyPem() : ec!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, withKey.ExportCertificatePem());
        WritePrivate(p12Path, withKey.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null));
        return new IssuedCertificate(withKey, KeyWrapper.Thumbprint(withKey), certPath, keyPath, p12Path);
    }

    private static void WritePrivate(string path, string text) => WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(text));

    private static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = s_private;
        }

        using var file = new FileStream(path, options);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
        if (!OperatingSystem.IsWindows())
        {
            // An existing file keeps its old mode on FileMode.Create: set it explicitly.
            File.SetUnixFileMode(path, s_private);
        }
    }
}

/// <summary>The key type of an issued client certificate.</summary>
internal enum ClientKeyType
{
    /// <summary>EC P-256; epoch keys are wrapped to it with HPKE (DESIGN §4).</summary>
    EcP256 = 0,

    /// <summary>RSA 3072; epoch keys are wrapped to it with RSA-OAEP-SHA256 (DESIGN §4).</summary>
    Rsa3072 = 1,
}

/// <summary>A certificate the development CA issued, with its private key and files.</summary>
/// <param name="Certificate">The certificate with its private key.</param>
/// <param name="Thumbprint">SHA-256 of the DER, 64 lower-case hex digits (the registry's form).</param>
/// <param name="CertificatePath">The PEM certificate.</param>
/// <param name="KeyPath">The PEM PKCS#8 private key (mode 0600).</param>
/// <param name="Pkcs12Path">The .p12 with certificate and key, no password (mode 0600).</param>
internal sealed record IssuedCertificate(X509Certificate2 Certificate, string Thumbprint, string CertificatePath, string KeyPath, string Pkcs12Path);
