using System.Globalization;
using System.Net;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Capture.Dissection;

/// <summary>The clear header of one dissected frame (R2.1): link, network and transport fields, and where the content starts.</summary>
/// <remarks>
/// <para>R2.1: bytes <c>[0, HeaderLength)</c> of the frame are header, kept in clear; bytes
/// <c>[HeaderLength, CapturedLength)</c> are content (transport payload, Ethernet padding,
/// anything the dissector did not parse) and are sealed. So header + content = the captured
/// length, always. A TCP SYN over Ethernet with 12 bytes of options has a 66-byte header
/// (14 + 20 + 32) and no content.</para>
/// <para>The view is a value with no references: producing it allocates nothing.</para>
/// </remarks>
public readonly struct PacketHeader
{
    private readonly HeaderFields _f;

    internal PacketHeader(in HeaderFields fields) => _f = fields;

    /// <summary>The frame's link type.</summary>
    public LinkType LinkType => _f.LinkType;

    /// <summary>Why dissection stopped early; <see cref="Malformation.None"/> when it did not.</summary>
    public Malformation Malformation => _f.Malformation;

    /// <summary>The length of the link-layer header (with VLAN tags).</summary>
    public int LinkHeaderLength => _f.LinkHeaderLength;

    /// <summary>Where the IP header starts; −1 when the frame carries no IP.</summary>
    public int NetworkOffset => _f.NetworkOffset;

    /// <summary>4 or 6; 0 when the frame carries no IP.</summary>
    public int IPVersion => _f.IPVersion;

    /// <summary>Whether the frame carries IP (and so has addresses).</summary>
    public bool IsIP => _f.IPVersion != 0;

    /// <summary>Whether the frame carries IPv6.</summary>
    public bool IsIPv6 => _f.IPVersion == 6;

    /// <summary>The source address as bits (IPv4 in the low 32 bits).</summary>
    public UInt128 SourceBits => _f.Source;

    /// <summary>The destination address as bits (IPv4 in the low 32 bits).</summary>
    public UInt128 DestinationBits => _f.Destination;

    /// <summary>The transport protocol number, after the IPv6 extension chain (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).</summary>
    public byte Protocol => _f.Protocol;

    /// <summary>Where the transport header starts; −1 when none was reached.</summary>
    public int TransportOffset => _f.TransportOffset;

    /// <summary>The length of the clear header; the content starts here (R2.1).</summary>
    public int HeaderLength => _f.HeaderLength;

    /// <summary>Whether <see cref="SourcePort"/> and <see cref="DestinationPort"/> were read (TCP or UDP).</summary>
    public bool HasPorts => _f.HasPorts;

    /// <summary>The source port; 0 when <see cref="HasPorts"/> is false.</summary>
    public ushort SourcePort => _f.SourcePort;

    /// <summary>The destination port; 0 when <see cref="HasPorts"/> is false.</summary>
    public ushort DestinationPort => _f.DestinationPort;

    /// <summary>The TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80); 0 for other protocols.</summary>
    public byte TcpFlags => _f.TcpFlags;

    /// <summary>Whether the TCP header was parsed.</summary>
    public bool IsTcp => _f.Protocol == 6 && _f.HasPorts;

    /// <summary>The ICMP or ICMPv6 type.</summary>
    public byte IcmpType => _f.IcmpType;

    /// <summary>The ICMP or ICMPv6 code.</summary>
    public byte IcmpCode => _f.IcmpCode;

    /// <summary>The IPv4 TTL or IPv6 hop limit.</summary>
    public byte HopLimit => _f.HopLimit;

    /// <summary>Whether this is a non-first fragment: it has no transport header.</summary>
    public bool IsFragment => _f.IsFragment;

    /// <summary>The fragment offset in bytes.</summary>
    public int FragmentOffset => _f.FragmentOffset;

    /// <summary>Whether the more-fragments flag is set.</summary>
    public bool MoreFragments => _f.MoreFragments;

    /// <summary>The IPv4 identification or IPv6 fragment identification.</summary>
    public uint FragmentId => _f.FragmentId;

    /// <summary>The number of 802.1Q/802.1ad tags.</summary>
    public int VlanCount => _f.VlanCount;

    /// <summary>The number of IPv6 extension headers parsed.</summary>
    public int ExtensionHeaderCount => _f.ExtensionHeaderCount;

    /// <summary>The source address (allocates; not for the hot path).</summary>
    public IPAddress? SourceAddress => IsIP ? Core.Scope.IPPrefix.ToAddress(IsIPv6, _f.Source) : null;

    /// <summary>The destination address (allocates; not for the hot path).</summary>
    public IPAddress? DestinationAddress => IsIP ? Core.Scope.IPPrefix.ToAddress(IsIPv6, _f.Destination) : null;

    /// <summary>The protocol as tshark and the CLI print it: <c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>icmpv6</c> or the number.</summary>
    public string ProtocolName => _f.Protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmpv6",
        _ => _f.Protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The note the CLI prints: the malformation in kebab case, <c>fragment</c>, or empty.</summary>
    public string Note => _f.Malformation != Malformation.None ? Describe(_f.Malformation) : _f.IsFragment ? "fragment" : string.Empty;

    /// <summary>The kebab-case name of a malformation, such as <c>truncated-tcp-header</c>.</summary>
    /// <param name="malformation">The malformation.</param>
    /// <returns>The name; empty for <see cref="Malformation.None"/>.</returns>
    public static string Describe(Malformation malformation) => malformation switch
    {
        Malformation.None => string.Empty,
        Malformation.TruncatedLinkHeader => "truncated-link-header",
        Malformation.UnsupportedLinkType => "unsupported-link-type",
        Malformation.NotIP => "not-ip",
        Malformation.BadIPVersion => "bad-ip-version",
        Malformation.TruncatedIPv4Header => "truncated-ipv4-header",
        Malformation.BadIPv4HeaderLength => "bad-ipv4-header-length",
        Malformation.BadIPv4TotalLength => "bad-ipv4-total-length",
        Malformation.TruncatedIPv6Header => "truncated-ipv6-header",
        Malformation.TruncatedExtensionHeader => "truncated-extension-header",
        Malformation.ExtensionChainTooLong => "extension-chain-too-long",
        Malformation.TruncatedTcpHeader => "truncated-tcp-header",
        Malformation.BadTcpDataOffset => "bad-tcp-data-offset",
        Malformation.TruncatedUdpHeader => "truncated-udp-header",
        Malformation.BadUdpLength => "bad-udp-length",
        Malformation.TruncatedIcmpHeader => "truncated-icmp-header",
        _ => malformation.ToString(),
    };

    /// <summary>Builds the stored header of a detection: the clear fields and the clear header bytes only (R2.1).</summary>
    /// <param name="frame">The frame this header was dissected from.</param>
    /// <param name="observedAt">When the frame was captured.</param>
    /// <param name="wireLength">The frame's length on the wire.</param>
    /// <returns>The detection header; <see cref="DetectionHeader.HeaderBytes"/> is a copy of <c>frame[..HeaderLength]</c>.</returns>
    /// <exception cref="InvalidOperationException">The frame carries no IP, so it has no addresses.</exception>
    /// <exception cref="ArgumentException"><paramref name="frame"/> is shorter than <see cref="HeaderLength"/>.</exception>
    /// <remarks>R2.1: no byte at or after <see cref="HeaderLength"/> reaches the clear header.</remarks>
    public DetectionHeader ToDetectionHeader(ReadOnlySpan<byte> frame, DateTimeOffset observedAt, int wireLength)
    {
        if (!IsIP)
        {
            throw new InvalidOperationException("A frame without IP has no addresses and cannot become a detection.");
        }

        if (frame.Length < HeaderLength)
        {
            throw new ArgumentException($"The frame has {frame.Length} bytes but the header needs {HeaderLength}.", nameof(frame));
        }

        return new DetectionHeader
        {
            ObservedAt = observedAt,
            Source = SourceAddress!,
            Destination = DestinationAddress!,
            Protocol = Protocol,
            SourcePort = HasPorts ? SourcePort : null,
            DestinationPort = HasPorts ? DestinationPort : null,
            TcpFlags = IsTcp ? TcpFlags : null,
            CapturedLength = frame.Length,
            WireLength = Math.Max(wireLength, frame.Length),
            ContentLength = frame.Length - HeaderLength,
            HeaderBytes = frame[..HeaderLength].ToArray(),
        };
    }
}
