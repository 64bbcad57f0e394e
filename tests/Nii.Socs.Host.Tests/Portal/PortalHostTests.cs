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
    public async Task Issued_certificates_are_registered_and_sign_in_to_a_portal_started_on_the_data_directory()
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

        var unknown = Cli.Cli.Run("portal", "issue", "--data", _data, "--name", "x", "--participant", "kyoto-u", "--operator", "a@b.example");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("not a registered participant", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Cli.Run("portal", "issue", "--data", _data, "--name", "x").ExitCode);

        var issued = Cli.Cli.Run("portal", "issue", "--data", _data, "--name", "u-tokyo-sato", "--participant", "u-tokyo", "--operator", "sato@u-tokyo.example", "--rsa");
        Assert.Equal(0, issued.ExitCode);
        var thumbprint = issued.Out.Split('\n')[0]["thumbprint:".Length..].Trim();
        var staff = Cli.Cli.Run("portal", "issue", "--data", _data, "--name", "staff-yamada", "--staff", "yamada");
        Assert.Equal(0, staff.ExitCode);
        var staffThumbprint = staff.Out.Split('\n')[0]["thumbprint:".Length..].Trim();

        var options = new PortalOptions { Port = 0, Staff = new(StringComparer.OrdinalIgnoreCase) { [staffThumbprint] = "yamada" } };
        await using (var host = await PortalHost.StartAsync(_data, options, TimeProvider.System))
        {
            var operatorMe = await GetMeAsync(host.Server.BaseAddress, Path.Combine(_data, "pki", "operators", "u-tokyo-sato.p12"));
            Assert.Equal("operator:u-tokyo/sato@u-tokyo.example", operatorMe.Actor);
            Assert.Equal(thumbprint, operatorMe.Thumbprint);
            var staffMe = await GetMeAsync(host.Server.BaseAddress, Path.Combine(_data, "pki", "operators", "staff-yamada.p12"));
            Assert.Equal("staff:yamada", staffMe.Actor);
        }

        var history = OperationHistoryStore.ReadAll(_data);
        Assert.Contains(history, e => e.Action == "portal.certificate.issued" && e.Subject == $"certificates/u-tokyo/{thumbprint}");
        Assert.Contains(history, e => e.Action == "portal.started");
        Assert.Contains(history, e => e.Action == "portal.login" && e.Actor == "staff:yamada");
        Assert.True(OperationHistoryStore.Verify(_data) is Core.Audit.HistoryVerification.Intact);
    }

    private async Task<MeDto> GetMeAsync(Uri baseAddress, string p12)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(p12, null);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_data, "pki", "ca.crt.pem"));
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress };
        var response = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MeDto>())!;
    }

    public void Dispose()
    {
        Directory.Delete(_data, recursive: true);
        File.Delete(_data + ".kek");
        if (Directory.Exists(_data + ".witness"))
        {
            Directory.Delete(_data + ".witness", recursive: true);
        }
    }
}
