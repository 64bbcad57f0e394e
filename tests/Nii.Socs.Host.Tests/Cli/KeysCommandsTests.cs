using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using NSec.Cryptography;
using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary><c>socs keys wrap|unwrap|rewrap</c>, run in process through <see cref="CliApp.Run"/>.</summary>
public sealed class KeysCommandsTests : IDisposable
{
    private const string KeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private static readonly Lazy<(string Cert, string Key)> s_rsa = new(() => Rsa());
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nii-socs-cli-keys-" + Guid.NewGuid().ToString("N"));

    public KeysCommandsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("rsa", "RSA-OAEP-256")]
    [InlineData("p256", "HPKE-P256-SHA256-AES256GCM")]
    [InlineData("x25519", "HPKE-X25519-SHA256-ChaCha20Poly1305")]
    [Trait("Requirement", "R8.1")]
    public void Wrap_json_then_unwrap_gives_the_key_back(string kind, string suite)
    {
        var (cert, key) = Write(kind, "a");
        var (code, json, err) = Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex, "--json");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(json))
        {
            var root = doc.RootElement;
            Assert.Equal(["suite", "thumbprint", "enc", "ct", "info", "aad"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(suite, root.GetProperty("suite").GetString());
            Assert.Equal(64, root.GetProperty("thumbprint").GetString()!.Length);
            Assert.Equal(kind == "rsa", root.GetProperty("enc").GetString() == string.Empty);
        }

        var wrapped = Path.Combine(_dir, "wrapped.json");
        File.WriteAllText(wrapped, json);
        var (code2, hex, err2) = Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", key);
        Assert.True(code2 == 0, err2);
        Assert.Equal(KeyHex, hex.Trim());
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public void Raw_rsa_ciphertext_unwraps_with_the_cli_and_with_openssl()
    {
        var (cert, key) = Write("rsa", "a");
        var raw = Path.Combine(_dir, "wrapped.bin");
        var (code, _, err) = Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex, "--raw", raw);
        Assert.True(code == 0, err);
        Assert.Equal(256, new FileInfo(raw).Length);
        var (code2, hex, err2) = Run("keys", "unwrap", "--wrapped", raw, "--private-key", key);
        Assert.True(code2 == 0, err2);
        Assert.Equal(KeyHex, hex.Trim());

        var outPath = Path.Combine(_dir, "key.bin");
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true };
        foreach (var a in new[] { "pkeyutl", "-decrypt", "-inkey", key, "-in", raw, "-out", outPath, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal(KeyHex, Convert.ToHexStringLower(File.ReadAllBytes(outPath)));
    }

    [Fact]
    [Trait("Requirement", "R6.3")]
    public void Rewrap_moves_a_key_from_an_old_private_key_to_a_new_certificate()
    {
        var (oldCert, oldKey) = Write("p256", "old");
        var (newCert, newKey) = Write("x25519", "new");
        var (_, json, _) = Run("keys", "wrap", "--cert", oldCert, "--key-hex", KeyHex, "--json");
        var wrapped = Path.Combine(_dir, "old.json");
        File.WriteAllText(wrapped, json);
        var (code, rewrapped, err) = Run("keys", "rewrap", "--wrapped", wrapped, "--private-key", oldKey, "--cert", newCert);
        Assert.True(code == 0, err);
        Assert.Contains("HPKE-X25519-SHA256-ChaCha20Poly1305", rewrapped, StringComparison.Ordinal);
        var renewed = Path.Combine(_dir, "new.json");
        File.WriteAllText(renewed, rewrapped);
        Assert.Equal(KeyHex, Run("keys", "unwrap", "--wrapped", renewed, "--private-key", newKey).Out.Trim());
        Assert.Equal(2, Run("keys", "unwrap", "--wrapped", renewed, "--private-key", oldKey).Code);
    }

    [Fact]
    public void Encrypted_p12_with_password_file_unwraps_and_a_wrong_password_is_one_line_exit_2()
    {
        var (cert, _) = Write("rsa", "a");
        var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(cert), s_rsa.Value.Key);
        var p12 = Path.Combine(_dir, "operator.p12");
        File.WriteAllBytes(p12, certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, "pass word"));
        var good = Path.Combine(_dir, "good.txt");
        var bad = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(good, "pass word\n");
        File.WriteAllText(bad, "nope\n");
        var (_, json, _) = Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex, "--json");
        var wrapped = Path.Combine(_dir, "w.json");
        File.WriteAllText(wrapped, json);
        Assert.Equal(KeyHex, Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", p12, "--password-file", good).Out.Trim());
        AssertOneLineError(Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", p12, "--password-file", bad), "password");
    }

    [Fact]
    public void Wrong_private_key_tampered_blob_and_unsupported_key_are_one_line_exit_2()
    {
        var (cert, _) = Write("x25519", "a");
        var (_, otherKey) = Write("x25519", "b");
        var (_, rsaKey) = Write("rsa", "a");
        var (_, json, _) = Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex, "--json");
        var wrapped = Path.Combine(_dir, "w.json");
        File.WriteAllText(wrapped, json);
        AssertOneLineError(Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", otherKey), "does not open");
        AssertOneLineError(Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", rsaKey), "RSA-OAEP-256");

        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var ct = Convert.FromBase64String(node["ct"]!.GetValue<string>());
        ct[3] ^= 0x40;
        node["ct"] = Convert.ToBase64String(ct);
        File.WriteAllText(wrapped, node.ToJsonString());
        var (_, ownKey) = (cert, Path.Combine(_dir, "x25519-a.key"));
        AssertOneLineError(Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", ownKey), "changed");

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p384 = Path.Combine(_dir, "p384.pem");
        File.WriteAllText(p384, new CertificateRequest("CN=p384", ec, HashAlgorithmName.SHA384).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1)).ExportCertificatePem());
        AssertOneLineError(Run("keys", "wrap", "--cert", p384, "--key-hex", KeyHex, "--json"), "P-256");
        var p384Key = Path.Combine(_dir, "p384.key");
        File.WriteAllText(p384Key, ec.ExportPkcs8PrivateKeyPem());
        AssertOneLineError(Run("keys", "unwrap", "--wrapped", wrapped, "--private-key", p384Key), "P-256");
    }

    [Fact]
    public void Bad_options_are_one_line_exit_2()
    {
        var (cert, _) = Write("rsa", "a");
        var (x, _) = Write("x25519", "a");
        AssertOneLineError(Run("keys", "wrap", "--cert", cert, "--key-hex", "abcd"), "64 hex digits");
        AssertOneLineError(Run("keys", "wrap", "--cert", cert, "--key-hex", new string('z', 64)), "hex");
        AssertOneLineError(Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex, "--json", "--raw", Path.Combine(_dir, "o")), "exclude");
        AssertOneLineError(Run("keys", "wrap", "--cert", x, "--key-hex", KeyHex, "--raw", Path.Combine(_dir, "o")), "--json");
        AssertOneLineError(Run("keys", "wrap", "--cert", Path.Combine(_dir, "missing.pem"), "--key-hex", KeyHex), "missing.pem");
        AssertOneLineError(Run("keys", "wrap", "--key-hex", KeyHex), "--cert");
    }

    [Fact]
    public void Plain_output_names_each_field()
    {
        var (cert, _) = Write("p256", "a");
        var (code, text, _) = Run("keys", "wrap", "--cert", cert, "--key-hex", KeyHex);
        Assert.Equal(0, code);
        Assert.Equal(["suite", "thumbprint", "enc", "ct", "info", "aad"], text.Trim().Split('\n').Select(l => l.Split(':')[0]));
        Assert.DoesNotContain(KeyHex, text, StringComparison.Ordinal);
    }

    private static void AssertOneLineError((int Code, string Out, string Err) result, string mention)
    {
        Assert.Equal(2, result.Code);
        var lines = result.Err.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr, got: {result.Err}");
        Assert.StartsWith("socs: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(mention, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(KeyHex, result.Out + result.Err, StringComparison.Ordinal);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a certificate PEM and its PKCS#8 private key PEM; returns their paths.</summary>
    private (string Cert, string Key) Write(string kind, string name)
    {
        var (cert, key) = kind switch
        {
            "rsa" => s_rsa.Value,
            "p256" => P256(),
            _ => X25519(),
        };
        var certPath = Path.Combine(_dir, $"{kind}-{name}.pem");
        var keyPath = Path.Combine(_dir, $"{kind}-{name}.key");
        File.WriteAllText(certPath, cert);
        File.WriteAllText(keyPath, key);
        return (certPath, keyPath);
    }

    private static (string Cert, string Key) Rsa()
    {
        using var rsa = RSA.Create(2048);
        var cert = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return (cert.ExportCertificatePem(), rsa.ExportPkcs8PrivateKeyPem());
    }

    private static (string Cert, string Key) P256()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = new CertificateRequest("CN=p256", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return (cert.ExportCertificatePem(), ec.ExportPkcs8PrivateKeyPem());
    }

    private static (string Cert, string Key) X25519()
    {
        using var key = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        using var ca = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = new System.Security.Cryptography.X509Certificates.PublicKey(new Oid("1.3.101.110"), null, new AsnEncodedData(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        var request = new CertificateRequest(new X500DistinguishedName("CN=x25519"), publicKey, HashAlgorithmName.SHA256);
        var cert = request.Create(new X500DistinguishedName("CN=test CA"), X509SignatureGenerator.CreateForECDsa(ca), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100), [1, 2, 3, 4]);
        return (cert.ExportCertificatePem(), PemEncoding.WriteString("PRIVATE KEY", key.Export(KeyBlobFormat.PkixPrivateKey)));
    }
}
