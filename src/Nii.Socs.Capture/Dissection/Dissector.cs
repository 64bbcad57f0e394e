using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Dissection;

/// <summary>Splits a frame into its clear header and its content (R2.1) without copying or allocating.</summary>
/// <remarks>
/// <para>Parsed: Ethernet (with up to 8 stacked 802.1Q/802.1ad tags), Linux cooked v1/v2, BSD
/// null/loop, raw IP; IPv4 with options and fragments; IPv6 with its extension chain (hop-by-hop,
/// routing, fragment, destination options, AH, mobility, HIP, shim6); TCP with options; UDP;
/// ICMP (the 8-byte RFC 792 header); ICMPv6 (the 4-byte RFC 4443 header).</para>
/// <para>Any input, however hostile, ends in a <see cref="PacketHeader"/> with a
/// <see cref="Malformation"/>, never an exception, in time linear in the frame length: the IPv6
/// chain stops after <see cref="MaxExtensionHeaders"/> headers and every length is bounds-checked.</para>
/// </remarks>
public static class Dissector
{
    /// <summary>The most IPv6 extension headers followed before the frame is called hostile: 16.</summary>
    public const int MaxExtensionHeaders = 16;

    /// <summary>The most VLAN tags followed: 8.</summary>
    public const int MaxVlanTags = 8;

    /// <summary>Dissects one frame.</summary>
    /// <param name="linkType">The frame's link type.</param>
    /// <param name="frame">The captured bytes.</param>
    /// <returns>The clear header; the content is <c>frame[header.HeaderLength..]</c>.</returns>
    /// <remarks>R2.1. Example: an Ethernet frame cut at 40 bytes inside a TCP header gives
    /// <see cref="Malformation.TruncatedTcpHeader"/>, a 34-byte header (Ethernet + IPv4) and 6 content bytes.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PacketHeader Dissect(LinkType linkType, ReadOnlySpan<byte> frame)
    {
        var f = new HeaderFields { LinkType = linkType, NetworkOffset = -1, TransportOffset = -1 };
        int version;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (!Ethernet(frame, ref f, out version))
                {
                    return new PacketHeader(f);
                }

                break;
            case LinkType.LinuxSll:
                if (!Cooked(frame, 16, 14, ref f, out version))
                {
                    return new PacketHeader(f);
                }

                break;
            case LinkType.LinuxSll2:
                if (!Cooked(frame, 20, 0, ref f, out version))
                {
                    return new PacketHeader(f);
                }

                break;
            case LinkType.Null:
            case LinkType.Loop:
                if (!Loopback(frame, linkType == LinkType.Loop, ref f, out version))
                {
                    return new PacketHeader(f);
                }

                break;
            case LinkType.Raw:
            case LinkType.RawDlt12:
            case LinkType.RawDlt14:
                version = frame.Length > 0 ? frame[0] >> 4 : 0;
                if (frame.Length == 0)
                {
                    f.Malformation = Malformation.TruncatedIPv4Header;
                    return new PacketHeader(f);
                }

                break;
            case LinkType.IPv4:
                version = 4;
                break;
            case LinkType.IPv6:
                version = 6;
                break;
            default:
                f.Malformation = Malformation.UnsupportedLinkType;
                return new PacketHeader(f);
        }

        f.HeaderLength = f.LinkHeaderLength;
        f.NetworkOffset = f.LinkHeaderLength;
        if (version == 4)
        {
            IPv4(frame, ref f);
        }
        else if (version == 6)
        {
            IPv6(frame, ref f);
        }
        else
        {
            f.NetworkOffset = -1;
            f.Malformation = Malformation.BadIPVersion;
        }

        return new PacketHeader(f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Ethernet(ReadOnlySpan<byte> frame, ref HeaderFields f, out int version)
    {
        version = 0;
        if (frame.Length < 14)
        {
            f.Malformation = Malformation.TruncatedLinkHeader;
            return false;
        }

        var offset = 12;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        while (etherType is 0x8100 or 0x88A8 or 0x9100 or 0x9200 && f.VlanCount < MaxVlanTags)
        {
            if (frame.Length < offset + 6)
            {
                f.LinkHeaderLength = offset;
                f.HeaderLength = offset;
                f.Malformation = Malformation.TruncatedLinkHeader;
                return false;
            }

            offset += 4;
            f.VlanCount++;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }

        f.LinkHeaderLength = offset + 2;
        return EtherType(etherType, ref f, out version);
    }

    private static bool Cooked(ReadOnlySpan<byte> frame, int length, int protocolAt, ref HeaderFields f, out int version)
    {
        version = 0;
        if (frame.Length < length)
        {
            f.Malformation = Malformation.TruncatedLinkHeader;
            return false;
        }

        f.LinkHeaderLength = length;
        return EtherType(BinaryPrimitives.ReadUInt16BigEndian(frame[protocolAt..]), ref f, out version);
    }

    private static bool Loopback(ReadOnlySpan<byte> frame, bool networkOrder, ref HeaderFields f, out int version)
    {
        version = 0;
        if (frame.Length < 4)
        {
            f.Malformation = Malformation.TruncatedLinkHeader;
            return false;
        }

        f.LinkHeaderLength = 4;
        var family = networkOrder ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (!networkOrder && family > 0xFFFF)
        {
            // LINKTYPE_NULL uses the writer's byte order: a big-endian writer's 2 reads as 0x02000000.
            family = BinaryPrimitives.ReadUInt32BigEndian(frame);
        }

        version = family switch
        {
            2 => 4,
            10 or 24 or 28 or 30 => 6,
            _ => 0,
        };
        if (version == 0)
        {
            f.HeaderLength = 4;
            f.Malformation = Malformation.NotIP;
            return false;
        }

        return true;
    }

    private static bool EtherType(ushort etherType, ref HeaderFields f, out int version)
    {
        version = etherType switch
        {
            0x0800 => 4,
            0x86DD => 6,
            _ => 0,
        };
        if (version == 0)
        {
            f.HeaderLength = f.LinkHeaderLength;
            f.Malformation = Malformation.NotIP;
            return false;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IPv4(ReadOnlySpan<byte> frame, ref HeaderFields f)
    {
        var start = f.NetworkOffset;
        var ip = frame[start..];
        if (ip.Length < 20)
        {
            f.Malformation = ip.Length > 0 && (ip[0] >> 4) != 4 ? Malformation.BadIPVersion : Malformation.TruncatedIPv4Header;
            f.NetworkOffset = -1;
            return;
        }

        if ((ip[0] >> 4) != 4)
        {
            f.NetworkOffset = -1;
            f.Malformation = Malformation.BadIPVersion;
            return;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < 20)
        {
            f.NetworkOffset = -1;
            f.Malformation = Malformation.BadIPv4HeaderLength;
            return;
        }

        if (ip.Length < headerLength)
        {
            f.NetworkOffset = -1;
            f.Malformation = Malformation.TruncatedIPv4Header;
            return;
        }

        f.IPVersion = 4;
        f.Source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        f.Destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        f.Protocol = ip[9];
        f.HopLimit = ip[8];
        f.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        f.MoreFragments = (flags & 0x2000) != 0;
        f.FragmentOffset = (flags & 0x1FFF) * 8;
        f.HeaderLength = start + headerLength;
        if (BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) < headerLength)
        {
            f.Malformation = Malformation.BadIPv4TotalLength;
            return;
        }

        if (f.FragmentOffset != 0)
        {
            f.IsFragment = true;
            return;
        }

        Transport(frame, start + headerLength, ref f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IPv6(ReadOnlySpan<byte> frame, ref HeaderFields f)
    {
        var start = f.NetworkOffset;
        var ip = frame[start..];
        if (ip.Length < 40)
        {
            f.Malformation = ip.Length > 0 && (ip[0] >> 4) != 6 ? Malformation.BadIPVersion : Malformation.TruncatedIPv6Header;
            f.NetworkOffset = -1;
            return;
        }

        if ((ip[0] >> 4) != 6)
        {
            f.NetworkOffset = -1;
            f.Malformation = Malformation.BadIPVersion;
            return;
        }

        f.IPVersion = 6;
        f.Source = BinaryPrimitives.ReadUInt128BigEndian(ip[8..]);
        f.Destination = BinaryPrimitives.ReadUInt128BigEndian(ip[24..]);
        f.HopLimit = ip[7];
        var next = ip[6];
        var offset = start + 40;
        f.HeaderLength = offset;
        while (true)
        {
            f.Protocol = next;
            int length;
            switch (next)
            {
                case 0 or 43 or 60 or 135 or 139 or 140:
                    if (frame.Length < offset + 2)
                    {
                        f.Malformation = Malformation.TruncatedExtensionHeader;
                        return;
                    }

                    length = (frame[offset + 1] + 1) * 8;
                    break;
                case 51:
                    if (frame.Length < offset + 2)
                    {
                        f.Malformation = Malformation.TruncatedExtensionHeader;
                        return;
                    }

                    length = (frame[offset + 1] + 2) * 4;
                    break;
                case 44:
                    length = 8;
                    break;
                default:
                    Transport(frame, offset, ref f);
                    return;
            }

            if (f.ExtensionHeaderCount >= MaxExtensionHeaders)
            {
                f.Malformation = Malformation.ExtensionChainTooLong;
                return;
            }

            if (frame.Length < offset + length)
            {
                f.Malformation = Malformation.TruncatedExtensionHeader;
                return;
            }

            var header = frame.Slice(offset, length);
            next = header[0];
            f.ExtensionHeaderCount++;
            offset += length;
            f.HeaderLength = offset;
            if (f.Protocol == 44)
            {
                var fragment = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
                f.FragmentOffset = (fragment >> 3) * 8;
                f.MoreFragments = (fragment & 1) != 0;
                f.FragmentId = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
                if (f.FragmentOffset != 0)
                {
                    f.Protocol = next;
                    f.IsFragment = true;
                    return;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transport(ReadOnlySpan<byte> frame, int offset, ref HeaderFields f)
    {
        var available = frame.Length - offset;
        switch (f.Protocol)
        {
            case 6:
                if (available < 20)
                {
                    f.Malformation = Malformation.TruncatedTcpHeader;
                    return;
                }

                var dataOffset = (frame[offset + 12] >> 4) * 4;
                if (dataOffset < 20)
                {
                    f.Malformation = Malformation.BadTcpDataOffset;
                    return;
                }

                if (available < dataOffset)
                {
                    f.Malformation = Malformation.TruncatedTcpHeader;
                    return;
                }

                Ports(frame, offset, ref f);
                f.TcpFlags = frame[offset + 13];
                f.HeaderLength = offset + dataOffset;
                return;
            case 17:
                if (available < 8)
                {
                    f.Malformation = Malformation.TruncatedUdpHeader;
                    return;
                }

                Ports(frame, offset, ref f);
                f.HeaderLength = offset + 8;
                if (BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 4)..]) < 8)
                {
                    f.Malformation = Malformation.BadUdpLength;
                }

                return;
            case 1:
            case 58:
                var size = f.Protocol == 1 ? 8 : 4;
                if (available < size)
                {
                    f.Malformation = Malformation.TruncatedIcmpHeader;
                    return;
                }

                f.TransportOffset = offset;
                f.IcmpType = frame[offset];
                f.IcmpCode = frame[offset + 1];
                f.HeaderLength = offset + size;
                return;
            default:
                return;
        }
    }

    private static void Ports(ReadOnlySpan<byte> frame, int offset, ref HeaderFields f)
    {
        f.TransportOffset = offset;
        f.HasPorts = true;
        f.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        f.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
    }
}
