using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Keys;

public class KeyWrapperTests
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2921);

    [Fact]
    public void Suite_follows_the_certificate_key_type()
    {
        Assert.Same(WrapSuite.RsaOaep256, KeyWrapper.SuiteFor(TestCertificates.Rsa.Certificate));
        Assert.Same(WrapSuite.HpkeP256Sha256Aes256Gcm, KeyWrapper.SuiteFor(TestCertificates.P256.Certificate));
        Assert.Same(WrapSuite.HpkeX25519Sha256ChaCha20Poly1305, KeyWrapper.SuiteFor(TestCertificates.X25519.Certificate));
    }

    [Fact]
    public void Suite_names_are_exactly_those_of_the_issue()
    {
        Assert.Equal(["RSA-OAEP-256", "HPKE-P256-SHA256-AES256GCM", "HPKE-X25519-SHA256-ChaCha20Poly1305"], WrapSuite.All.Select(s => s.Name));
        Assert.False(WrapSuite.TryParse("rsa-oaep-256", out _));
    }

    [Fact]
    public void Rsa_1024_and_P384_certificates_are_refused()
    {
        var small = TestCertificates.MakeRsa("small", 1024);
        Assert.Contains("2048", Assert.Throws<ArgumentException>(() => KeyWrapper.SuiteFor(small.Certificate)).Message);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var cert = new CertificateRequest("CN=p384", ec, HashAlgorithmName.SHA384).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
        Assert.Contains("P-256", Assert.Throws<ArgumentException>(() => KeyWrapper.Wrap([1, 2, 3], cert, [], [])).Message);
    }

    [Fact]
    public void Thumbprint_is_the_lower_case_sha256_of_the_certificate()
    {
        var cert = TestCertificates.P256.Certificate;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(cert.RawData)), KeyWrapper.Thumbprint(cert));
    }

    [Fact]
    public void X25519_public_key_is_read_from_the_subject_public_key_info()
    {
        var cert = TestCertificates.X25519.Certificate;
        Assert.Equal("1.3.101.110", cert.PublicKey.Oid.Value);
        var raw = CertificateKeys.X25519FromSubjectPublicKeyInfo(cert.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(32, raw.Length);
        Assert.Equal(cert.PublicKey.EncodedKeyValue.RawData, raw);
    }

    [Fact]
    public void Wrapped_key_json_round_trips_and_has_the_issue_shape()
    {
        using var key = EpochKey.Create(s_epoch);
        var wrapped = KeyWrapper.Wrap(key, TestCertificates.X25519.Certificate);
        var json = wrapped.ToJson();
        Assert.StartsWith("{\"suite\":\"HPKE-X25519-SHA256-ChaCha20Poly1305\",\"thumbprint\":", json, StringComparison.Ordinal);
        foreach (var field in new[] { "\"enc\":", "\"ct\":", "\"info\":", "\"aad\":" })
        {
            Assert.Contains(field, json, StringComparison.Ordinal);
        }

        Assert.True(WrappedKey.TryParseJson(json, out var back, out var error), error);
        Assert.Equal(wrapped.Thumbprint, back.Thumbprint);
        Assert.Equal(wrapped.Enc.ToArray(), back.Enc.ToArray());
        Assert.Equal(wrapped.Ciphertext.ToArray(), back.Ciphertext.ToArray());
        Assert.Equal("u-tokyo#2921"u8.ToArray(), back.Aad.ToArray());
    }

    [Fact]
    public void Rsa_wrap_has_empty_enc_info_and_aad()
    {
        using var key = EpochKey.Create(s_epoch);
        var wrapped = KeyWrapper.Wrap(key, TestCertificates.Rsa.Certificate);
        Assert.True(wrapped.Enc.IsEmpty && wrapped.Info.IsEmpty && wrapped.Aad.IsEmpty);
        Assert.Equal(256, wrapped.Ciphertext.Length);
    }

    [Fact]
    public void Wrapped_set_holds_one_entry_per_distinct_certificate_and_opens_with_each_private_key()
    {
        using var key = EpochKey.Create(s_epoch);
        var certs = TestCertificates.All.Select(i => i.Certificate).Append(TestCertificates.P256.Certificate).ToArray();
        var set = KeyWrapper.WrapToAll(key, certs);
        Assert.Equal(3, set.Wrapped.Count);
        Assert.True(WrappedKeySet.TryParseJson(set.ToJson(), out var parsed, out var error), error);
        foreach (var issued in TestCertificates.All)
        {
            using var privateKey = ParticipantPrivateKey.Load(System.Text.Encoding.ASCII.GetBytes(issued.PrivateKeyPem), null);
            Assert.True(privateKey.TryUnwrap(parsed, out var recovered, out var failure), failure.ToString());
            using (recovered)
            {
                Assert.Equal(key.Bytes.ToArray(), recovered.Bytes.ToArray());
                Assert.Equal(s_epoch, recovered.Epoch);
            }
        }
    }

    [Fact]
    public void A_participant_without_certificates_cannot_get_a_key()
    {
        using var key = EpochKey.Create(s_epoch);
        Assert.Throws<ArgumentException>(() => KeyWrapper.WrapToAll(key, []));
    }

    [Fact]
    public void Wrong_private_key_of_the_same_type_is_not_authentic()
    {
        using var key = EpochKey.Create(s_epoch);
        var pairs = new[] { (TestCertificates.Rsa, TestCertificates.RsaOther), (TestCertificates.P256, TestCertificates.P256Other), (TestCertificates.X25519, TestCertificates.X25519Other) };
        foreach (var (to, other) in pairs)
        {
            var wrapped = KeyWrapper.Wrap(key, to.Certificate);
            using var wrong = ParticipantPrivateKey.Load(other.Pkcs8, null);
            Assert.False(wrong.TryUnwrap(wrapped, new byte[32], out var failure));
            Assert.Equal(UnwrapFailure.NotAuthentic, failure);
        }
    }

    [Fact]
    public void Private_key_of_another_type_is_a_suite_mismatch()
    {
        using var key = EpochKey.Create(s_epoch);
        var wrapped = KeyWrapper.Wrap(key, TestCertificates.P256.Certificate);
        using var rsa = ParticipantPrivateKey.Load(TestCertificates.Rsa.Pkcs8, null);
        Assert.False(rsa.TryUnwrap(wrapped, new byte[32], out var failure));
        Assert.Equal(UnwrapFailure.SuiteMismatch, failure);
    }

    [Fact]
    public void Commitment_rejects_a_key_that_unwraps_but_is_not_the_committed_one()
    {
        using var key = EpochKey.Create(s_epoch);
        using var other = EpochKey.Create(s_epoch);
        var set = KeyWrapper.WrapToAll(key, [TestCertificates.P256.Certificate]);
        var forged = new WrappedKeySet(set.Commitment, [KeyWrapper.Wrap(other, TestCertificates.P256.Certificate)]);
        using var privateKey = ParticipantPrivateKey.Load(TestCertificates.P256.Pkcs8, null);
        Assert.False(privateKey.TryUnwrap(forged, out var recovered, out var failure));
        Assert.Null(recovered);
        Assert.Equal(UnwrapFailure.CommitmentMismatch, failure);
    }

    [Fact]
    [Trait("Requirement", "R6.3")]
    public void R6_3_rewrap_moves_an_old_epoch_key_to_a_renewed_certificate()
    {
        using var key = EpochKey.Create(s_epoch);
        var old = KeyWrapper.Wrap(key, TestCertificates.Rsa.Certificate);
        using var oldPrivate = ParticipantPrivateKey.Load(TestCertificates.Rsa.Pkcs8, null);
        Assert.True(oldPrivate.TryRewrap(old, TestCertificates.X25519.Certificate, out var renewed, out var failure), failure.ToString());
        Assert.Equal(KeyWrapper.Thumbprint(TestCertificates.X25519.Certificate), renewed.Thumbprint);
        using var newPrivate = ParticipantPrivateKey.Load(TestCertificates.X25519.Pkcs8, null);
        var again = new byte[32];
        Assert.True(newPrivate.TryUnwrap(renewed, again, out _));
        Assert.Equal(key.Bytes.ToArray(), again);

        using var wrongOld = ParticipantPrivateKey.Load(TestCertificates.RsaOther.Pkcs8, null);
        Assert.False(wrongOld.TryRewrap(old, TestCertificates.X25519.Certificate, out var none, out var f));
        Assert.Null(none);
        Assert.Equal(UnwrapFailure.NotAuthentic, f);
    }

    [Fact]
    public void Encrypted_pem_needs_the_right_password()
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(TestCertificates.Rsa.Pkcs8, out _);
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem("s3cret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
        var bytes = System.Text.Encoding.ASCII.GetBytes(pem);
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.Load(bytes, null));
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.Load(bytes, "wrong"));
        using var loaded = ParticipantPrivateKey.Load(bytes, "s3cret");
        Assert.Same(WrapSuite.RsaOaep256, loaded.Suite);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("p256")]
    [InlineData("x25519")]
    public void Pkcs12_with_password_unwraps_and_wrong_password_is_refused(string kind)
    {
        var issued = kind switch { "rsa" => TestCertificates.Rsa, "p256" => TestCertificates.P256, _ => TestCertificates.X25519 };
        var p12 = BuildPkcs12(issued, "pw");
        using var key = EpochKey.Create(s_epoch);
        var wrapped = KeyWrapper.Wrap(key, issued.Certificate);
        using var privateKey = ParticipantPrivateKey.Load(p12, "pw");
        var bytes = new byte[32];
        Assert.True(privateKey.TryUnwrap(wrapped, bytes, out var failure), failure.ToString());
        Assert.Equal(key.Bytes.ToArray(), bytes);
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.Load(p12, "not-pw"));
    }

    [Fact]
    public void Garbage_is_not_a_private_key()
    {
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.Load("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"u8, null));
        Assert.Throws<ArgumentException>(() => ParticipantPrivateKey.Load([1, 2, 3, 4], null));
    }

    internal static byte[] BuildPkcs12(TestCertificates.Issued issued, string password)
    {
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2048);
        var keys = new Pkcs12SafeContents();
        keys.AddSafeBag(new Pkcs12ShroudedKeyBag(Pkcs8PrivateKeyInfo.Decode(issued.Pkcs8, out _).Encrypt(password, pbe)));
        var certs = new Pkcs12SafeContents();
        certs.AddCertificate(issued.Certificate);
        var builder = new Pkcs12Builder();
        builder.AddSafeContentsEncrypted(certs, password, pbe);
        builder.AddSafeContentsUnencrypted(keys);
        builder.SealWithMac(password, HashAlgorithmName.SHA256, 2048);
        return builder.Encode();
    }
}
