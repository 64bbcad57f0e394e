using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Tests.Docs;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>docs/portal.md and docs/security.md: <c>certificates enrol</c> accepts P-256 or RSA of at least 3072 bits
/// only, and a refusal is one line, exit 2, with nothing registered, no certificate issued and no byte of the data
/// directory changed (the request is checked before the directory is opened).</summary>
public sealed class CertificateEnrolKeyTypeTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("socs-enrol-keytype-").FullName;
    private readonly string _people = Directory.CreateTempSubdirectory("socs-enrol-keytype-people-").FullName;

    [Fact]
    [Trait("Requirement", "R6.3")]
    public async Task Enrol_refuses_a_request_with_an_RSA_2048_or_a_P_384_key_in_one_line_and_registers_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        using (var registry = RegistryStore.Open(_data))
        {
            await registry.AppendAsync(
            [
                new ApplicationSubmitted(now, "a1", new ParticipantId("u-tokyo"), "University of Tokyo", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u-tokyo.example"], [new OperatorContact("Sato", "sato@u-tokyo.example", null, true)]),
                new ApplicationApproved(now, "a1"),
            ]);
        }

        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var requests = new[]
        {
            ("rsa2048.csr.pem", new CertificateRequest("CN=sato", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem()),
            ("p384.csr.pem", new CertificateRequest("CN=sato", p384, HashAlgorithmName.SHA256).CreateSigningRequestPem()),
        };
        var before = DirectoryListing.Of(_data);

        foreach (var (name, pem) in requests)
        {
            var csr = Path.Combine(_people, name);
            await File.WriteAllTextAsync(csr, pem);

            var refused = Cli.Cli.Run("certificates", "enrol", "--data", _data, "--participant", "u-tokyo", "--operator", "sato@u-tokyo.example", "--csr", csr, "--out", Path.Combine(_people, name + ".crt"));

            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("accepted", Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(_people, name + ".crt")));
        }

        Assert.Equal(before, DirectoryListing.Of(_data));
        Assert.Empty(Directory.Exists(Path.Combine(_data, "pki", "certs")) ? Directory.GetFiles(Path.Combine(_data, "pki", "certs")) : []);
        Assert.Equal(string.Empty, Cli.Cli.Run("certificates", "list", "--data", _data).Out);
    }

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_people, recursive: true);
    }
}
