using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Nii.Socs.Host.Demo;

/// <summary>A development certificate authority for the demo: a CA and operator client certificates (EC P-256), under <c>&lt;data&gt;/pki/</c>.</summary>
/// <remarks>Private keys are written with mode 0600 and never leave the data directory; in a real deployment
/// each operator makes its own key pair and only the certificate is issued.</remarks>
internal sealed class DevelopmentPki : IDisposable
{
    private readonly ECDsa _caKey;

    private DevelopmentPki(string root, X509Certificate2 ca, ECDsa caKey)
    {
        Root = root;
        Authority = ca;
        _caKey = caKey;
    }

    public string Root { get; }

    public X509Certificate2 Authority { get; }

    public static DevelopmentPki Create(string dataDirectory, DateTimeOffset now)
    {
        var root = Path.Combine(Path.GetFullPath(dataDirectory), "pki");
        Directory.CreateDirectory(root);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Nii.Socs development CA, O=NII-SOCS demo", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        File.WriteAllText(Path.Combine(root, "ca.crt.pem"), ca.ExportCertificatePem());
        WritePrivate(Path.Combine(root, "ca.key.pem"), key.ExportPkcs8PrivateKeyPem());
        return new DevelopmentPki(root, ca, key);
    }

    /// <summary>Issues an operator's client certificate; writes cert, key (PEM, 0600) and a .p12 (password "demo").</summary>
    public IssuedOperator IssueOperator(string participant, string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, OU={participant}, O=NII-SOCS demo", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Authority.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), now.AddDays(-1), now.AddYears(2), serial);
        var certificate = issued.CopyWithPrivateKey(key);
        var directory = Path.Combine(Root, "operators", participant);
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, name + ".crt.pem");
        var keyPath = Path.Combine(directory, name + ".key.pem");
        var p12Path = Path.Combine(directory, name + ".p12");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        WritePrivateBytes(p12Path, certificate.Export(X509ContentType.Pkcs12, "demo"));
        return new IssuedOperator(X509CertificateLoader.LoadCertificate(certificate.RawData), certPath, keyPath, p12Path);
    }

    public void Dispose()
    {
        _caKey.Dispose();
        Authority.Dispose();
    }

    private static void WritePrivate(string path, string text) => WritePrivateBytes(path, System.Text.Encoding.ASCII.GetBytes(text));

    private static void WritePrivateBytes(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(bytes);
    }
}

internal sealed record IssuedOperator(X509Certificate2 Certificate, string CertificatePath, string PrivateKeyPath, string Pkcs12Path);
