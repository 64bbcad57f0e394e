using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Portal;
using Nii.Socs.Host.Tests.Cli;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary><c>socs portal issue</c> and a portal started on a data directory by itself (as <c>socs portal serve</c> does).</summary>
public sealed class PortalHostTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("socs-portal-host-").FullName;

    [Fact]
    [Trait("Requirement", "R6.3")]
    [Trait("Requirement", "R3.3")]
    public async Task Operators_enrol_their_own_keys_by_CSR_and_sign_in_to_a_portal_started_on_the_data_directory()
    {
        var now = DateTimeOffset.UtcNow;
        using (var registry = RegistryStore.Open(_data))
        {
            await registry.AppendAsync(
            [
                new ApplicationSubmitted(now, "a1", new ParticipantId("u-tokyo"), "University of Tokyo", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u-tokyo.example"], [new OperatorContact("Sato", "sato@u-tokyo.example", null, true), new OperatorContact("Tanaka", "tanaka@u-tokyo.example", null, false), new OperatorContact("Suzuki", "suzuki@u-tokyo.example", null, true)]),
                new ApplicationApproved(now, "a1"),
            ]);
        }

        // On the operator's machine: a key pair and a CSR; the key never goes to the organization.
        var sato = _data + "-people/sato";
        Assert.Equal(0, Cli.Cli.Run("participant", "keygen", "--out", sato, "--name", "sato", "--type", "rsa3072").ExitCode);
        var csr = Path.Combine(sato, "sato.csr.pem");
        Assert.Equal(2, Cli.Cli.Run("participant", "keygen", "--out", sato, "--name", "sato").ExitCode);

        // Refused, with one line, changing nothing: unknown participant, unregistered operator, an operator who did not
        // ask for a certificate (R3.3), a request whose signature does not verify.
        var tampered = _data + "-people/tampered.csr.pem";
        var pem = File.ReadAllText(csr);
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^10] ^= 0x01;
        File.WriteAllText(tampered, $"-----BEGIN CERTIFICATE REQUEST-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks)}\n-----END CERTIFICATE REQUEST-----\n");
        foreach (var (args, says) in new (string[], string)[]
        {
            (["--participant", "kyoto-u", "--operator", "a@b.example", "--csr", csr], "not a registered participant"),
            (["--participant", "u-tokyo", "--operator", "nobody@u-tokyo.example", "--csr", csr], "not a registered operator"),
            (["--participant", "u-tokyo", "--operator", "tanaka@u-tokyo.example", "--csr", csr], "did not ask for a client certificate"),
            (["--participant", "u-tokyo", "--operator", "sato@u-tokyo.example", "--csr", tampered], "valid signature"),
        })
        {
            var refused = Cli.Cli.Run(["certificates", "enrol", "--data", _data, .. args]);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains(says, refused.Error, StringComparison.Ordinal);
            Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        Assert.Equal(string.Empty, Cli.Cli.Run("certificates", "list", "--data", _data).Out);

        var enrolled = Cli.Cli.Run("certificates", "enrol", "--data", _data, "--participant", "u-tokyo", "--operator", "sato@u-tokyo.example", "--csr", csr, "--out", Path.Combine(sato, "received.crt.pem"));
        Assert.True(enrolled.ExitCode == 0, enrolled.Error);
        var thumbprint = Field(enrolled.Out, "sha256");
        Assert.Contains("epoch\t", enrolled.Out, StringComparison.Ordinal);
        var again = Cli.Cli.Run("certificates", "enrol", "--data", _data, "--participant", "u-tokyo", "--operator", "sato@u-tokyo.example", "--csr", csr);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already enrolled", again.Error, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Cli.Run("participant", "bundle", "--dir", sato, "--name", "sato", "--certificate", Path.Combine(sato, "received.crt.pem")).ExitCode);
        Assert.Contains($"u-tokyo\t{thumbprint}\tsato@u-tokyo.example\tactive\tRSA-OAEP-256", Cli.Cli.Run("certificates", "list", "--data", _data).Out, StringComparison.Ordinal);

        // The certificate is where rotation looks, and the current epoch's key is wrapped to it at once.
        Assert.True(File.Exists(Path.Combine(_data, "pki", "certs", thumbprint + ".pem")));
        var wrapped = Directory.GetFiles(Path.Combine(_data, "keys", "u-tokyo"), "wrapped.json", SearchOption.AllDirectories).Single();
        Assert.Contains(thumbprint, File.ReadAllText(wrapped), StringComparison.Ordinal);

        var yamada = _data + "-people/yamada";
        Assert.Equal(0, Cli.Cli.Run("participant", "keygen", "--out", yamada, "--name", "staff-yamada").ExitCode);
        var staff = Cli.Cli.Run("certificates", "enrol-staff", "--data", _data, "--name", "yamada", "--csr", Path.Combine(yamada, "staff-yamada.csr.pem"), "--out", Path.Combine(yamada, "received.crt.pem"));
        Assert.True(staff.ExitCode == 0, staff.Error);
        var staffThumbprint = Field(staff.Out, "sha256");
        Assert.Equal(0, Cli.Cli.Run("participant", "bundle", "--dir", yamada, "--name", "staff-yamada", "--certificate", Path.Combine(yamada, "received.crt.pem")).ExitCode);

        var options = new PortalOptions { Port = 0, Staff = new(StringComparer.OrdinalIgnoreCase) { [staffThumbprint] = "yamada" } };
        await using (var host = await PortalHost.StartAsync(_data, options, TimeProvider.System))
        {
            var operatorMe = await GetMeAsync(host.Server.BaseAddress, Path.Combine(sato, "sato.p12"));
            Assert.Equal("operator:u-tokyo/sato@u-tokyo.example", operatorMe.Actor);
            Assert.Equal(thumbprint, operatorMe.Thumbprint);
            var staffMe = await GetMeAsync(host.Server.BaseAddress, Path.Combine(yamada, "staff-yamada.p12"));
            Assert.Equal("staff:yamada", staffMe.Actor);
        }

        // A second operator enrolled mid-epoch; then the first reports compromise on the portal: the current epoch's key
        // is wrapped again to the certificate still active only (R6.2, R8.1).
        var suzuki = _data + "-people/suzuki";
        Assert.Equal(0, Cli.Cli.Run("participant", "keygen", "--out", suzuki, "--name", "suzuki").ExitCode);
        var suzukiThumbprint = Field(Cli.Cli.Run("certificates", "enrol", "--data", _data, "--participant", "u-tokyo", "--operator", "Suzuki", "--csr", Path.Combine(suzuki, "suzuki.csr.pem")).Out, "sha256");
        Assert.Contains(suzukiThumbprint, File.ReadAllText(wrapped), StringComparison.Ordinal);
        Assert.Contains(thumbprint, File.ReadAllText(wrapped), StringComparison.Ordinal);
        await using (var host = await PortalHost.StartAsync(_data, options, TimeProvider.System))
        {
            Assert.Equal(HttpStatusCode.NoContent, await PostCompromiseAsync(host.Server.BaseAddress, Path.Combine(sato, "sato.p12")));
        }

        Assert.Contains(suzukiThumbprint, File.ReadAllText(wrapped), StringComparison.Ordinal);
        Assert.DoesNotContain(thumbprint, File.ReadAllText(wrapped), StringComparison.Ordinal);

        var history = OperationHistoryStore.ReadAll(_data);
        Assert.Contains(history, e => e.Action == "registry.certificate.enrolled" && e.Subject == $"certificates/u-tokyo/{thumbprint}");
        Assert.Contains(history, e => e.Action == "portal.started");
        Assert.Contains(history, e => e.Action == "portal.login" && e.Actor == "staff:yamada");
        Assert.True(OperationHistoryStore.Verify(_data) is Core.Audit.HistoryVerification.Intact);
    }

    private static string Field(string text, string name) =>
        text.Split('\n').First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split('\t')[1];

    private async Task<HttpStatusCode> PostCompromiseAsync(Uri baseAddress, string p12)
    {
        using var portal = new PortalClient(_data, baseAddress, p12);
        var client = portal.Http;
        var response = await client.PostAsJsonAsync("/api/compromise", new { note = "laptop stolen" });
        return response.StatusCode;
    }

    private async Task<MeDto> GetMeAsync(Uri baseAddress, string p12)
    {
        using var portal = new PortalClient(_data, baseAddress, p12);
        var client = portal.Http;
        var response = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MeDto>())!;
    }

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        TestOperatorKeys.DeleteSecrets(_data);
    }
}
