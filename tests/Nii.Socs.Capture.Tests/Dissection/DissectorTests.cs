using System.Net;
using System.Text;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Dissection;

public class DissectorTests
{
    private static readonly IPAddress A = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress A6 = IPAddress.Parse("2001:db8:ff::66");
    private static readonly IPAddress B6 = IPAddress.Parse("2001:db8:10::80");
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n");

    [Fact]
    public void Tcp_with_options_over_ipv4_with_options_splits_after_the_tcp_options()
    {
        var ip = FrameBuilder.IP(A, B, 6, FrameBuilder.Tcp(A, B, 51000, 80, 0x18, Payload, optionWords: 3).AsSpan(20), ipv4OptionWords: 2);
        var frame = FrameBuilder.Ethernet(ip);
        var h = Dissector.Dissect(LinkType.Ethernet, frame);
        Assert.Equal(Malformation.None, h.Malformation);
        Assert.Equal(14 + 28 + 32, h.HeaderLength);
        Assert.Equal((51000, 80), (h.SourcePort, h.DestinationPort));
        Assert.Equal(0x18, h.TcpFlags);
        Assert.Equal(Payload, frame.AsSpan(h.HeaderLength).ToArray());
        Assert.Equal(A, h.SourceAddress);
    }

    [Fact]
    public void Qinq_tags_are_part_of_the_link_header()
    {
        var frame = FrameBuilder.Ethernet(FrameBuilder.Udp(A, B, 53000, 53, Payload), 10, 200);
        var h = Dissector.Dissect(LinkType.Ethernet, frame);
        Assert.Equal(2, h.VlanCount);
        Assert.Equal(22, h.LinkHeaderLength);
        Assert.Equal(22 + 20 + 8, h.HeaderLength);
        Assert.Equal("udp", h.ProtocolName);
    }

    [Fact]
    public void Ipv6_extension_chain_is_followed_to_the_transport()
    {
        var segment = FrameBuilder.Tcp(A6, B6, 52000, 80, 0x18, Payload).AsSpan(40);
        var ip = FrameBuilder.IP(A6, B6, 6, segment, ipv6Extensions: [FrameBuilder.Extension(0), FrameBuilder.Extension(43, 1), FrameBuilder.Extension(44), FrameBuilder.Extension(60, 2)]);
        var h = Dissector.Dissect(LinkType.Raw, ip);
        Assert.Equal(Malformation.None, h.Malformation);
        Assert.Equal(4, h.ExtensionHeaderCount);
        Assert.Equal(6, h.Protocol);
        Assert.Equal(40 + 8 + 16 + 8 + 24 + 20, h.HeaderLength);
        Assert.Equal(Payload.Length, ip.Length - h.HeaderLength);
    }

    [Fact]
    public void A_non_first_fragment_has_no_transport_header()
    {
        var h4 = Dissector.Dissect(LinkType.IPv4, FrameBuilder.IP(A, B, 17, Payload, fragmentOffset: 1480));
        Assert.True(h4.IsFragment);
        Assert.False(h4.HasPorts);
        Assert.Equal(20, h4.HeaderLength);
        Assert.Equal("fragment", h4.Note);

        var h6 = Dissector.Dissect(LinkType.IPv6, FrameBuilder.IP(A6, B6, 6, Payload, ipv6Extensions: [FrameBuilder.Extension(44, fragmentOffset: 1448)]));
        Assert.True(h6.IsFragment);
        Assert.Equal(6, h6.Protocol);
        Assert.Equal(48, h6.HeaderLength);
    }

    [Fact]
    public void Icmp_keeps_eight_header_bytes_and_icmpv6_four()
    {
        var v4 = Dissector.Dissect(LinkType.Raw, FrameBuilder.Icmp(A, B, 8, 0, Payload));
        Assert.Equal(("icmp", 8, 28), (v4.ProtocolName, (int)v4.IcmpType, v4.HeaderLength));
        var v6 = Dissector.Dissect(LinkType.Raw, FrameBuilder.Icmp(A6, B6, 128, 0, Payload));
        Assert.Equal(("icmpv6", 128, 44), (v6.ProtocolName, (int)v6.IcmpType, v6.HeaderLength));
    }

    [Theory]
    [InlineData(LinkType.LinuxSll, 16)]
    [InlineData(LinkType.LinuxSll2, 20)]
    [InlineData(LinkType.Null, 4)]
    public void Cooked_and_loopback_link_headers(LinkType link, int linkLength)
    {
        var ip = FrameBuilder.Udp(A6, B6, 1, 2, Payload);
        var frame = link switch
        {
            LinkType.LinuxSll => FrameBuilder.LinuxSll(ip),
            LinkType.LinuxSll2 => FrameBuilder.LinuxSll2(ip),
            _ => FrameBuilder.Null(ip),
        };
        var h = Dissector.Dissect(link, frame);
        Assert.Equal((6, linkLength, linkLength + 48), (h.IPVersion, h.LinkHeaderLength, h.HeaderLength));
    }

    [Fact]
    public void Big_endian_null_link_header_is_recognised()
    {
        var h = Dissector.Dissect(LinkType.Null, FrameBuilder.Null(FrameBuilder.Udp(A, B, 1, 2, Payload), bigEndian: true));
        Assert.Equal(4, h.IPVersion);
    }

    [Fact]
    public void Truncated_and_hostile_frames_give_typed_reasons_and_keep_unparsed_bytes_as_content()
    {
        var tcp = FrameBuilder.Ethernet(FrameBuilder.Tcp(A, B, 1, 2, 0x10, Payload));
        var cut = Dissector.Dissect(LinkType.Ethernet, tcp.AsSpan(0, 44));
        Assert.Equal((Malformation.TruncatedTcpHeader, 34), (cut.Malformation, cut.HeaderLength));

        var badOffset = (byte[])tcp.Clone();
        badOffset[14 + 20 + 12] = 0x40;
        Assert.Equal(Malformation.BadTcpDataOffset, Dissector.Dissect(LinkType.Ethernet, badOffset).Malformation);

        var badIhl = (byte[])tcp.Clone();
        badIhl[14] = 0x44;
        Assert.Equal(Malformation.BadIPv4HeaderLength, Dissector.Dissect(LinkType.Ethernet, badIhl).Malformation);

        Assert.Equal(Malformation.TruncatedLinkHeader, Dissector.Dissect(LinkType.Ethernet, tcp.AsSpan(0, 13)).Malformation);
        Assert.Equal(Malformation.UnsupportedLinkType, Dissector.Dissect((LinkType)147, tcp).Malformation);
        Assert.Equal(Malformation.TruncatedUdpHeader, Dissector.Dissect(LinkType.Raw, FrameBuilder.Udp(A, B, 1, 2, []).AsSpan(0, 25)).Malformation);

        // A chain of 20 hop-by-hop headers is hostile: the dissector stops after 16.
        var chain = Enumerable.Range(0, 20).Select(_ => FrameBuilder.Extension(60)).ToArray();
        var hostile = Dissector.Dissect(LinkType.Raw, FrameBuilder.IP(A6, B6, 59, [], ipv6Extensions: chain));
        Assert.Equal(Malformation.ExtensionChainTooLong, hostile.Malformation);
        Assert.Equal(40 + (16 * 8), hostile.HeaderLength);
    }

    [Fact]
    public void Arp_is_not_ip_and_has_only_a_link_header()
    {
        var frame = FrameBuilder.Ethernet(new byte[28]);
        frame[12] = 0x08;
        frame[13] = 0x06;
        var h = Dissector.Dissect(LinkType.Ethernet, frame);
        Assert.Equal((Malformation.NotIP, 14, false), (h.Malformation, h.HeaderLength, h.IsIP));
    }

    [Fact]
    public void Detection_header_holds_the_clear_header_bytes_only()
    {
        var frame = FrameBuilder.Ethernet(FrameBuilder.Tcp(A, B, 51000, 80, 0x18, Payload));
        var h = Dissector.Dissect(LinkType.Ethernet, frame);
        var at = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        var d = h.ToDetectionHeader(frame, at, frame.Length);
        Assert.Equal(frame.AsSpan(0, 54).ToArray(), d.HeaderBytes.ToArray());
        Assert.Equal((Payload.Length, (ushort?)51000, (byte?)0x18), (d.ContentLength, d.SourcePort, d.TcpFlags));
        Assert.DoesNotContain("GET", Encoding.ASCII.GetString(d.ToCanonicalBytes()), StringComparison.Ordinal);
    }
}
