using System.Diagnostics;
using System.Security.Cryptography;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>A participant unwraps an RSA-wrapped key with stock OpenSSL (R8.1). openssl is installed by
/// scripts/install-deps.sh; when it is missing these tests fail, they never skip.</summary>
public class OpenSslInteropTests
{
    [Fact]
    [Trait("Requirement", "R8.1")]
    public void R8_1_openssl_pkeyutl_unwraps_an_rsa_wrapped_key()
    {
        using var dir = new TempDirectory();
        var keyPath = Path.Combine(dir.Path, "operator.key.pem");
        var wrappedPath = Path.Combine(dir.Path, "wrapped.bin");
        var outPath = Path.Combine(dir.Path, "epoch.key");
        File.WriteAllText(keyPath, TestCertificates.Rsa.PrivateKeyPem);
        using var key = EpochKey.Create(new EpochId(new ParticipantId("u-tokyo"), 2969));
        File.WriteAllBytes(wrappedPath, KeyWrapper.Wrap(key, TestCertificates.Rsa.Certificate).Ciphertext.ToArray());

        // The command documented in docs/keys.md.
        Run("pkeyutl", "-decrypt", "-inkey", keyPath, "-in", wrappedPath, "-out", outPath,
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256");

        Assert.Equal(key.Bytes.ToArray(), File.ReadAllBytes(outPath));
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public void R8_1_a_key_wrapped_by_openssl_with_the_same_padding_unwraps_here()
    {
        using var dir = new TempDirectory();
        var certPath = Path.Combine(dir.Path, "operator.pem");
        var plainPath = Path.Combine(dir.Path, "key.bin");
        var wrappedPath = Path.Combine(dir.Path, "wrapped.bin");
        File.WriteAllText(certPath, TestCertificates.Rsa.CertificatePem);
        var secret = RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(plainPath, secret);
        Run("pkeyutl", "-encrypt", "-certin", "-inkey", certPath, "-in", plainPath, "-out", wrappedPath,
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256");

        var wrapped = new WrappedKey(WrapSuite.RsaOaep256, KeyWrapper.Thumbprint(TestCertificates.Rsa.Certificate), default, File.ReadAllBytes(wrappedPath), default, default);
        using var privateKey = ParticipantPrivateKey.Load(TestCertificates.Rsa.Pkcs8, null);
        var bytes = new byte[32];
        Assert.True(privateKey.TryUnwrap(wrapped, bytes, out var failure), failure.ToString());
        Assert.Equal(secret, bytes);
    }

    private static void Run(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', args)} exited {process.ExitCode}: {stderr}");
    }
}
