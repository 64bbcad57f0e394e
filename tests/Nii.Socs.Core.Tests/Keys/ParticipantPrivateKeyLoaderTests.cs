using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Hosting;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>A participant loads its private key from a path, a PEM string, a PKCS#12 or an X509Certificate2 with its key,
/// and each loaded key unwraps an epoch key wrapped to its certificate (R8.1, R8.6). Certificates are made in the test.</summary>
[Trait("Requirement", "R8.1")]
public class ParticipantPrivateKeyLoaderTests
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2921);

    public static TheoryData<string> Kinds => ["rsa", "p256"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_key_loaded_from_a_path_unwraps(string kind)
    {
        using var cert = MakeCertificate(kind);
        using var dir = new TempDirectory();
        var pemPath = Path.Combine(dir.Path, "operator.key");
        File.WriteAllText(pemPath, ExportPem(cert, password: null));
        var pfxPath = Path.Combine(dir.Path, "operator.p12");
        File.WriteAllBytes(pfxPath, cert.Export(X509ContentType.Pkcs12, "pfx-pw"));

        using var fromPem = ParticipantKeyFile.Load(pemPath);
        using var fromPfx = ParticipantKeyFile.Load(pfxPath, "pfx-pw");
        AssertUnwraps(cert, fromPem);
        AssertUnwraps(cert, fromPfx);
        Assert.Throws<FileNotFoundException>(() => ParticipantKeyFile.Load(Path.Combine(dir.Path, "absent.key")));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_key_loaded_from_a_pem_string_unwraps_and_an_encrypted_one_needs_its_password(string kind)
    {
        using var cert = MakeCertificate(kind);
        using var plain = ParticipantPrivateKey.FromPem(ExportPem(cert, password: null));
        AssertUnwraps(cert, plain);

        var encrypted = ExportPem(cert, password: "pem-pw");
        Assert.Contains("ENCRYPTED PRIVATE KEY", encrypted, StringComparison.Ordinal);
        using var decrypted = ParticipantPrivateKey.FromPem(encrypted, "pem-pw");
        AssertUnwraps(cert, decrypted);
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.FromPem(encrypted));
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.FromPem(encrypted, "wrong"));
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.FromPem(cert.ExportCertificatePem()));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_key_loaded_from_a_pkcs12_unwraps_and_a_wrong_password_is_refused(string kind)
    {
        using var cert = MakeCertificate(kind);
        var pfx = cert.Export(X509ContentType.Pkcs12, "pfx-pw");
        using var key = ParticipantPrivateKey.FromPkcs12(pfx, "pfx-pw");
        AssertUnwraps(cert, key);
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.FromPkcs12(pfx, "wrong"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_key_taken_from_a_certificate_unwraps_and_one_without_a_key_is_refused(string kind)
    {
        using var cert = MakeCertificate(kind);
        using var key = ParticipantPrivateKey.FromCertificate(cert);
        AssertUnwraps(cert, key);

        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.FromCertificate(publicOnly));
    }

    [Fact]
    public void Another_certificates_key_does_not_unwrap()
    {
        using var mine = MakeCertificate("p256");
        using var other = MakeCertificate("p256");
        using var epochKey = EpochKey.Create(s_epoch);
        var set = KeyWrapper.WrapToAll(epochKey, [mine]);
        using var key = ParticipantPrivateKey.FromCertificate(other);
        Assert.False(key.TryUnwrap(set, out var unwrapped, out var failure));
        Assert.Null(unwrapped);
        Assert.Equal(UnwrapFailure.NotAuthentic, failure);
    }

    private static void AssertUnwraps(X509Certificate2 certificate, ParticipantPrivateKey key)
    {
        using var epochKey = EpochKey.Create(s_epoch);
        var set = KeyWrapper.WrapToAll(epochKey, [X509CertificateLoader.LoadCertificate(certificate.RawData)]);
        Assert.True(key.TryUnwrap(set, out var unwrapped, out var failure), failure.ToString());
        using (unwrapped)
        {
            Assert.Equal(s_epoch, unwrapped.Epoch);
            Assert.True(epochKey.Bytes.SequenceEqual(unwrapped.Bytes));
        }
    }

    private static X509Certificate2 MakeCertificate(string kind)
    {
        if (kind == "rsa")
        {
            using var rsa = RSA.Create(2048);
            return new CertificateRequest("CN=loader-rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                .CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        }

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=loader-p256", ec, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
    }

    private static string ExportPem(X509Certificate2 certificate, string? password)
    {
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? certificate.GetECDsaPrivateKey()!;
        using (key)
        {
            return password is null
                ? key.ExportPkcs8PrivateKeyPem()
                : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
        }
    }
}
