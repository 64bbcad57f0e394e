using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>`socs serve` with live capture: real traffic on the loopback interface, through libpcap, into the store (R4.4).</summary>
public sealed class LiveServeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-live-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        TestOperatorKeys.DeleteSecrets(_dir);
    }

    [Fact]
    [Trait("Requirement", "R4.4")]
    public async Task Serve_captures_loopback_traffic_live_and_stores_the_detection_sealed()
    {
        var participant = new ParticipantId("loop-u");
        await using (var data = SocsData.Open(_dir, TimeProvider.System))
        {
            using var ca = DevelopmentCa.OpenOrCreate(_dir, TimeProvider.System);
            var issued = ca.IssueClient("loop-u-op", ClientKeyType.EcP256);
            var thumbprint = data.Certificates.Add(issued.Certificate);
            var now = DateTimeOffset.UtcNow;
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, "app-loop", participant, "Loopback University", [IPPrefix.Parse("127.0.0.0/8")], ["soc@loop.example.ac.jp"], [new OperatorContact("op", "op@loop.example.ac.jp", null, true)]),
                new ApplicationApproved(now, "app-loop"),
                new CertificateIssued(now, participant, thumbprint, "op@loop.example.ac.jp"),
            ]);
        }

        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        var rules = Path.Combine(_dir, "live.rules");
        File.WriteAllText(rules, "alert udp any any -> $HOME_NET any (msg:\"SOCS TEST live marker\"; content:\"SOCS-LIVE-MARKER\"; classtype:trojan-activity; priority:1; sid:9000001; rev:1;)\n");

        var builder = ServeCommand.CreateBuilder(
            ["Socs:Data:Directory=" + _dir, "Socs:Capture:IncomingDirectory=" + Path.Combine(_dir, "incoming"), "Socs:Capture:RulesFile=" + rules, "Socs:Capture:Interface=lo", $"Socs:Capture:Filter=udp port {port}"],
            TimeProvider.System);
        builder.Services.AddSocsPipeline();
        using (var host = builder.Build())
        {
            await host.StartAsync();
            using var sender = new UdpClient();
            var seen = false;
            for (var i = 0; i < 100 && !seen; i++)
            {
                // Bounded: one datagram every 200 ms for at most 20 s, to 127.0.0.1 only.
                var payload = Encoding.ASCII.GetBytes($"hello SOCS-LIVE-MARKER {i}");
                await sender.SendAsync(payload, payload.Length, new IPEndPoint(IPAddress.Loopback, port));
                await Task.Delay(200);
                seen = OperationHistoryStore.ReadAll(_dir).Any(e => e.Action == "capture.live.window" && !e.Details.Contains("stored=0", StringComparison.Ordinal));
            }

            await host.StopAsync();
            Assert.True(seen, "no live capture window stored a detection");
        }

        using var store = DetectionStore.Open(_dir);
        var page = await store.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.UtcNow.AddHours(-1), To = DateTimeOffset.UtcNow.AddHours(1), RuleSid = 9000001 });
        var record = Assert.IsType<Core.Detections.DetectionRecord>(page.Records[0], exactMatch: false);
        Assert.Equal(IPAddress.Loopback, record.Header.Destination);
        Assert.Equal((ushort)port, record.Header.DestinationPort);
        Assert.False(record.SealedContent.IsEmpty);
        Assert.DoesNotContain("SOCS-LIVE-MARKER", Encoding.ASCII.GetString(record.SealedContent.Span), StringComparison.Ordinal);
    }
}
