using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Readers;

/// <summary>Reads captures the project writes with tshark (installed by scripts/install-deps.sh) and with our reader, and compares.</summary>
/// <remarks>If tshark is missing these tests fail: the cross-check is part of the proof, not optional.</remarks>
public class TsharkCrossCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    private static readonly string[] Fields =
    [
        "frame.number", "frame.time_epoch", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.len", "udp.length", "icmp.type", "icmpv6.type",
    ];

    [Fact]
    [Trait("Requirement", "R2.1")]
    public void Pcapng_with_every_link_type_agrees_with_tshark()
    {
        using var temp = new TempDirectory();
        var path = temp.File("links.pcapng");
        var expected = new List<byte[]>();
        var links = new List<LinkType>();
        using (var writer = new PcapngWriter(File.Create(path)))
        {
            var ids = new Dictionary<LinkType, int>();
            var i = 0;
            foreach (var (link, frame) in Frames())
            {
                if (!ids.TryGetValue(link, out var id))
                {
                    id = writer.AddInterface(link, 0, (byte)(ids.Count % 2 == 0 ? 6 : 9));
                    ids[link] = id;
                }

                writer.WriteEnhancedPacket(id, T0.AddTicks(i++ * 12_345_670L), frame);
                expected.Add(frame);
                links.Add(link);
            }
        }

        Compare(path, expected.Count);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [Trait("Requirement", "R2.1")]
    public void Pcap_in_both_byte_orders_agrees_with_tshark(bool bigEndian, bool nanosecond)
    {
        using var temp = new TempDirectory();
        var path = temp.File("ethernet.pcap");
        var count = 0;
        using (var writer = new PcapWriter(File.Create(path), LinkType.Ethernet, nanosecond, bigEndian))
        {
            foreach (var (link, frame) in Frames().Where(f => f.Link == LinkType.Ethernet))
            {
                writer.WriteFrame(T0.AddTicks(count++ * 7_654_321L), frame);
            }
        }

        Compare(path, count);
    }

    [Fact]
    [Trait("Requirement", "R2.1")]
    public void The_demo_sample_agrees_with_tshark()
    {
        var path = Path.Combine(TempDirectory.RepositoryRoot(), "samples", "captures", "demo.pcap");
        Compare(path, 22);
    }

    private static void Compare(string path, int frames)
    {
        var rows = Tshark(path);
        Assert.Equal(frames, rows.Count);
        Assert.True(CaptureReader.TryOpen(File.OpenRead(path), out var reader, out _));
        using (reader)
        {
            var n = 0;
            while (reader.TryReadFrame(out var frame))
            {
                var row = rows[n++];
                var h = Dissector.Dissect(frame.LinkType, frame.Data);
                var context = $"frame {n} ({frame.LinkType})";
                Assert.Equal(n.ToString(CultureInfo.InvariantCulture), row["frame.number"]);
                Assert.Equal(frame.CapturedLength.ToString(CultureInfo.InvariantCulture), row["frame.cap_len"]);
                var epoch = decimal.Parse(row["frame.time_epoch"], CultureInfo.InvariantCulture);
                var ours = (decimal)(frame.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerSecond;
                Assert.True(Math.Abs(epoch - ours) < 0.000001m, $"{context}: time {ours} vs tshark {epoch}");
                var src = First(row["ip.src"]) ?? First(row["ipv6.src"]);
                var dst = First(row["ip.dst"]) ?? First(row["ipv6.dst"]);
                Assert.Equal(src, h.SourceAddress?.ToString());
                Assert.Equal(dst, h.DestinationAddress?.ToString());
                var content = frame.CapturedLength - h.HeaderLength;
                if (row["tcp.srcport"].Length > 0 && h.Malformation == Malformation.None)
                {
                    Assert.Equal((row["tcp.srcport"], row["tcp.dstport"]), (h.SourcePort.ToString(CultureInfo.InvariantCulture), h.DestinationPort.ToString(CultureInfo.InvariantCulture)));
                    Assert.Equal(row["tcp.len"], content.ToString(CultureInfo.InvariantCulture));
                }
                else if (row["udp.srcport"].Length > 0 && !h.IsFragment && !h.MoreFragments)
                {
                    Assert.Equal((row["udp.srcport"], row["udp.dstport"]), (h.SourcePort.ToString(CultureInfo.InvariantCulture), h.DestinationPort.ToString(CultureInfo.InvariantCulture)));
                    Assert.Equal(int.Parse(row["udp.length"], CultureInfo.InvariantCulture) - 8, content);
                }
                else if (row["icmp.type"].Length > 0 || row["icmpv6.type"].Length > 0)
                {
                    Assert.Equal(First(row["icmp.type"]) ?? First(row["icmpv6.type"]), h.IcmpType.ToString(CultureInfo.InvariantCulture));
                }
            }

            Assert.Equal(frames, n);
        }
    }

    private static string? First(string value) => value.Length == 0 ? null : value.Split(',')[0];

    private static List<Dictionary<string, string>> Tshark(string path)
    {
        var start = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-r", path, "-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=," })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var field in Fields)
        {
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add(field);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(cells => Fields.Select((f, i) => (f, i < cells.Length ? cells[i] : string.Empty)).ToDictionary(x => x.f, x => x.Item2))
            .ToList();
    }

    private static IEnumerable<(LinkType Link, byte[] Frame)> Frames()
    {
        var v4 = (IPAddress.Parse("203.0.113.7"), IPAddress.Parse("192.0.2.10"));
        var v6 = (IPAddress.Parse("2001:db8:ff::66"), IPAddress.Parse("2001:db8:10::80"));
        var payload = Encoding.ASCII.GetBytes("GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n");
        foreach (var (a, b) in new[] { v4, v6 })
        {
            var packets = new List<byte[]>
            {
                FrameBuilder.Tcp(a, b, 51000, 80, 0x18, payload, optionWords: 3),
                FrameBuilder.Tcp(a, b, 51001, 443, 0x02, [], optionWords: 5),
                FrameBuilder.Udp(a, b, 5353, 53, payload),
                FrameBuilder.Icmp(a, b, (byte)(a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 8 : 128), 0, payload),
            };
            if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                packets.Add(FrameBuilder.IP(a, b, 17, FrameBuilder.Udp(a, b, 1000, 2000, payload).AsSpan(40), ipv6Extensions: [FrameBuilder.Extension(0), FrameBuilder.Extension(60, 1)]));
            }
            else
            {
                packets.Add(FrameBuilder.IP(a, b, 6, FrameBuilder.Tcp(a, b, 1000, 2000, 0x10, payload).AsSpan(20), ipv4OptionWords: 3));
                packets.Add(FrameBuilder.IP(a, b, 17, payload, fragmentOffset: 1480));
            }

            foreach (var ip in packets)
            {
                yield return (LinkType.Ethernet, FrameBuilder.Ethernet(ip));
                yield return (LinkType.Ethernet, FrameBuilder.Ethernet(ip, 100));
                yield return (LinkType.Ethernet, FrameBuilder.Ethernet(ip, 10, 200));
                yield return (LinkType.Raw, ip);
                yield return (LinkType.LinuxSll, FrameBuilder.LinuxSll(ip));
                yield return (LinkType.LinuxSll2, FrameBuilder.LinuxSll2(ip));
                yield return (LinkType.Null, FrameBuilder.Null(ip));
                yield return (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? LinkType.IPv4 : LinkType.IPv6, ip);
            }
        }
    }
}
