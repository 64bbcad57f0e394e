using System.Net;
using System.Net.Sockets;
using System.Text;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Readers;

/// <summary>Captures real loopback traffic through libpcap: needs root (or CAP_NET_RAW) and libpcap0.8, as scripts/install-deps.sh sets up.</summary>
public class LiveCaptureTests
{
    [Fact]
    [Trait("Requirement", "R4.4")]
    public void Udp_sent_to_127_0_0_1_is_captured_on_lo_and_dissected()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        var payload = Encoding.ASCII.GetBytes($"nii-socs live capture probe {Guid.NewGuid():N}");
        using var reader = LiveCaptureReader.Open("lo", $"udp and dst port {port}", TimeSpan.FromMilliseconds(100));
        using var sender = new UdpClient();

        // Bounded: at most 50 reads of at most 100 ms, sending again every 10 reads.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (attempt % 10 == 0)
            {
                sender.Send(payload, payload.Length, new IPEndPoint(IPAddress.Loopback, port));
            }

            if (!reader.TryReadFrame(out var frame))
            {
                continue;
            }

            var header = Dissector.Dissect(frame.LinkType, frame.Data);
            Assert.Equal(Malformation.None, header.Malformation);
            Assert.Equal(IPAddress.Loopback, header.DestinationAddress);
            Assert.Equal(IPAddress.Loopback, header.SourceAddress);
            Assert.Equal((17, port), (header.Protocol, (int)header.DestinationPort));
            Assert.Equal(payload, frame.Data[header.HeaderLength..].ToArray());
            Assert.Equal(frame.CapturedLength, header.HeaderLength + payload.Length);
            return;
        }

        Assert.Fail($"No UDP frame to 127.0.0.1:{port} was captured on lo within 50 reads.");
    }
}
