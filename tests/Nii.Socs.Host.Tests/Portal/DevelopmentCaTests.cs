using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

public sealed class DevelopmentCaTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("socs-pki-").FullName;

    [Fact]
    public void Private_key_files_are_mode_0600_and_certificates_chain_to_the_ca()
    {
        using var ca = DevelopmentCa.OpenOrCreate(_data, TimeProvider.System);
        var client = ca.IssueClient("u-tokyo-sato", ClientKeyType.EcP256);
        var rsa = ca.IssueClient("u-tokyo-suzuki", ClientKeyType.Rsa3072);
        using var server = ca.ServerCertificate();

        foreach (var path in new[] { Path.Combine(_data + ".secrets", "pki", "ca.key.pem"), Path.Combine(_data + ".secrets", "pki", "server.key.pem"), Path.Combine(_data + ".secrets", "pki", "server.p12"), client.KeyPath, client.Pkcs12Path, rsa.KeyPath, rsa.Pkcs12Path })
        {
            Assert.True(File.Exists(path), path);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }

        Assert.Empty(Directory.GetFiles(_data, "*.key.pem", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_data, "*.p12", SearchOption.AllDirectories));
        Assert.True(ca.Validates(client.Certificate));
        Assert.True(ca.Validates(rsa.Certificate));
        Assert.NotNull(rsa.Certificate.GetRSAPublicKey());
        Assert.Equal(64, client.Thumbprint.Length);
        Assert.Equal(client.Thumbprint, client.Thumbprint.ToLowerInvariant());

        // The server certificate is not a client certificate: no client-auth EKU.
        Assert.False(ca.Validates(server));
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Contains(System.Net.IPAddress.IPv6Loopback, san.EnumerateIPAddresses());

        using var p12 = X509CertificateLoader.LoadPkcs12FromFile(client.Pkcs12Path, null);
        Assert.True(p12.HasPrivateKey);
        Assert.Equal(client.Certificate.RawData, p12.RawData);
    }

    [Fact]
    public void Reopening_keeps_the_ca_and_a_foreign_ca_certificate_does_not_validate()
    {
        IssuedCertificate first;
        using (var ca = DevelopmentCa.OpenOrCreate(_data, TimeProvider.System))
        {
            first = ca.IssueClient("op", ClientKeyType.EcP256);
        }

        using var again = DevelopmentCa.OpenOrCreate(_data, TimeProvider.System);
        Assert.True(again.Validates(first.Certificate));

        var other = Directory.CreateTempSubdirectory("socs-pki-other-").FullName;
        try
        {
            using var foreign = DevelopmentCa.OpenOrCreate(other, TimeProvider.System);
            var impostor = foreign.IssueClient("op", ClientKeyType.EcP256);
            Assert.False(again.Validates(impostor.Certificate));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a,b")]
    [InlineData("CN=x")]
    [InlineData(" ")]
    public void A_key_name_that_is_not_a_plain_file_name_is_refused(string name)
    {
        Assert.Throws<Nii.Socs.Host.Cli.CliUsageException>(() => Nii.Socs.Host.ParticipantSide.OperatorKeys.Generate(Path.Combine(_data, "k"), name, ClientKeyType.EcP256));
    }

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        TestOperatorKeys.DeleteSecrets(_data);
    }
}
