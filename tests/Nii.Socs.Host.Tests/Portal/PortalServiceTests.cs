using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary><c>socs serve</c>'s portal on the data the demo made: the demo's operator certificates sign in and see their detections.</summary>
public sealed class PortalServiceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-portal-serve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task R4_7_the_served_portal_shows_each_demo_operator_its_own_detections()
    {
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", _dir, "--people", _dir + "-people").ExitCode);

        // The demo's clock ends 2026-12-08 09:00 JST; serve runs an hour later, as in ServeTests.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 1, 0, 0, TimeSpan.Zero));
        var builder = ServeCommand.CreateBuilder(["Socs:Data:Directory=" + _dir, "Socs:Portal:Port=0"], time);
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsPortalService();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var portal = host.Services.GetRequiredService<PortalHostedService>();
            var data = host.Services.GetRequiredService<SocsData>();
            var seen = 0;
            foreach (var p12 in Directory.EnumerateFiles(Path.Combine(_dir + "-people", "participants"), "*.p12", SearchOption.AllDirectories))
            {
                using var certificate = X509CertificateLoader.LoadPkcs12FromFile(p12, null);
                var thumbprint = KeyWrapper.Thumbprint(certificate);
                var participant = data.Registry.State.Participants.Values.Single(p => p.Certificates.ContainsKey(thumbprint));
                using var client = Client(portal.BaseAddress!, certificate, time);
                var me = await client.GetFromJsonAsync<MeDto>("/api/me");
                Assert.Equal(participant.Id.Value, me!.Participant);
                var page = await client.GetFromJsonAsync<DetectionPageDto>("/api/detections");
                Assert.All(page!.Detections, d => Assert.Equal(participant.Id.Value, d.Participant));
                seen += page.Detections.Count;
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/detections")).StatusCode);
            }

            Assert.True(seen > 0, "the demo's operators saw no detection");
            Assert.Contains(OperationHistoryStore.ReadAll(_dir), e => e.Action == "portal.started");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private HttpClient Client(Uri baseAddress, X509Certificate2 certificate, TimeProvider time)
    {
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_dir, "pki", "ca.crt.pem"));
        var trusted = X509CertificateLoader.LoadCertificate(ca.RawData);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    // The server certificate was issued on the simulated clock, so it is checked at that instant.
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
                    return server is X509Certificate2 s && chain.Build(s);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }
}
