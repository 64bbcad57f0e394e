using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.ParticipantSide;

/// <summary>An operator's own key pair, made on the operator's machine: the private key never leaves it, only a
/// certificate request does (R6.1, R6.3, R8.1).</summary>
/// <remarks>Files in the operator's directory: <c>&lt;name&gt;.key.pem</c> (PKCS#8, mode 0600), <c>&lt;name&gt;.csr.pem</c>,
/// and after enrolment <c>&lt;name&gt;.crt.pem</c> and <c>&lt;name&gt;.p12</c> (certificate and key without a password,
/// for a browser or curl; mode 0600). The key signs its request (proof of possession) and is the one epoch keys are wrapped
/// to: P-256 for HPKE, RSA for RSA-OAEP (DESIGN §4).</remarks>
internal static class OperatorKeys
{
    /// <summary>Makes a key pair and its certificate request; refuses to replace an existing key.</summary>
    /// <param name="directory">The operator's directory (created 0700).</param>
    /// <param name="name">The file name stem, e.g. <c>sato</c>.</param>
    /// <param name="type">The key type.</param>
    /// <returns>The key and request files.</returns>
    /// <exception cref="Cli.CliUsageException">The name is not a plain file name, or the key file exists.</exception>
    public static (string KeyPath, string CsrPath) Generate(string directory, string name, ClientKeyType type)
    {
        CheckName(name);
        PrivateFiles.CreateDirectory(directory);
        var keyPath = Path.Combine(directory, name + ".key.pem");
        var csrPath = Path.Combine(directory, name + ".csr.pem");
        if (File.Exists(keyPath))
        {
            throw new Cli.CliUsageException($"{keyPath} exists; a new key pair needs a new --name (the old key still opens past epochs).");
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        var dn = subject.Build();
        using AsymmetricAlgorithm key = type == ClientKeyType.EcP256 ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(type == ClientKeyType.Rsa4096 ? 4096 : 3072);
        var request = key is RSA rsa
            ? new CertificateRequest(dn, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(dn, (ECDsa)key, HashAlgorithmName.SHA256);
        PrivateFiles.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        PrivateFiles.WriteAllText(csrPath, request.CreateSigningRequestPem());
        return (keyPath, csrPath);
    }

    /// <summary>Puts a received certificate beside its key: <c>.crt.pem</c> and a <c>.p12</c> for the browser.</summary>
    /// <param name="directory">The operator's directory.</param>
    /// <param name="name">The file name stem.</param>
    /// <param name="certificate">The certificate the organization signed.</param>
    /// <returns>The certificate with its key and files.</returns>
    /// <exception cref="CryptographicException">The key is not the certificate's.</exception>
    public static IssuedCertificate Bundle(string directory, string name, X509Certificate2 certificate)
    {
        CheckName(name);
        var certPath = Path.Combine(directory, name + ".crt.pem");
        var keyPath = Path.Combine(directory, name + ".key.pem");
        var p12Path = Path.Combine(directory, name + ".p12");
        PrivateFiles.WriteAllText(certPath, certificate.ExportCertificatePem());
        var withKey = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        PrivateFiles.WriteAllBytes(p12Path, withKey.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null));
        return new IssuedCertificate(withKey, KeyWrapper.Thumbprint(withKey), certPath, keyPath, p12Path);
    }

    /// <summary>A certificate with its private key: from a PEM certificate and a PEM key, or from a .p12.</summary>
    /// <exception cref="Cli.CliUsageException">The files do not load, or the key is not the certificate's.</exception>
    public static X509Certificate2 LoadWithKey(string certificatePath, string keyPath)
    {
        try
        {
            if (keyPath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || keyPath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase))
            {
                var bundled = X509CertificateLoader.LoadPkcs12FromFile(keyPath, null);
                using var named = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
                if (!bundled.RawData.AsSpan().SequenceEqual(named.RawData))
                {
                    throw new Cli.CliUsageException($"--private-key {keyPath} holds another certificate than --certificate {certificatePath}.");
                }

                return bundled;
            }

            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException ex)
        {
            throw new Cli.CliUsageException($"--certificate {certificatePath} with --private-key {keyPath} do not load as a certificate and its key: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new Cli.CliUsageException($"--certificate/--private-key: {ex.Message}");
        }
    }

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains("..", StringComparison.Ordinal) || name.Contains(',', StringComparison.Ordinal) || name.Contains('=', StringComparison.Ordinal))
        {
            throw new Cli.CliUsageException($"--name must be a plain file name without ',' or '='; got '{name}'.");
        }
    }
}
