using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Rebuilds a minimal header-only Ethernet frame from an anonymised research row (R9.1, R2.1).</summary>
/// <remarks>
/// The stored raw header bytes are never reused: they hold MAC addresses, IP ids, TTLs and options that
/// can fingerprint a participant's host. The frame is built from the row's fields only: Ethernet with
/// fixed locally administered MAC addresses (02:00:00:00:00:01 → 02:00:00:00:00:02), then IPv4 (no options,
/// DF, TTL 64, id 0) or IPv6 (hop limit 64, no extension headers), then TCP (20 bytes: the row's ports and
/// flags, sequence and acknowledgement numbers 0, window 0) or UDP (8 bytes). The row carries no ICMP type or
/// code, so for ICMP and every other protocol no transport header is invented: the frame ends after the IP
/// header. No payload is written (content is never in a data set); the IP length fields cover exactly the
/// written headers, so every checksum (IPv4 header, TCP, UDP) is valid for the frame as written.
/// </remarks>
internal static class PcapFrame
{
    public const int EthernetLength = 14;

    public static readonly byte[] SourceMac = [0x02, 0, 0, 0, 0, 0x01];
    public static readonly byte[] DestinationMac = [0x02, 0, 0, 0, 0, 0x02];

    public static int Build(ResearchRow row, Span<byte> frame)
    {
        var source = row.Source;
        var destination = row.Destination;
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6 || destination.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6)
        {
            source = source.AddressFamily == AddressFamily.InterNetwork ? source.MapToIPv6() : source;
            destination = destination.AddressFamily == AddressFamily.InterNetwork ? destination.MapToIPv6() : destination;
        }

        DestinationMac.CopyTo(frame);
        SourceMac.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], v6 ? (ushort)0x86DD : (ushort)0x0800);

        var ipLength = v6 ? 40 : 20;
        var transport = frame[(EthernetLength + ipLength)..];
        var transportLength = row.Protocol switch
        {
            6 => 20,
            17 => 8,
            _ => 0,
        };

        if (row.Protocol == 6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport, row.SourcePort ?? 0);
            BinaryPrimitives.WriteUInt16BigEndian(transport[2..], row.DestinationPort ?? 0);
            BinaryPrimitives.WriteUInt32BigEndian(transport[4..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(transport[8..], 0);
            transport[12] = 5 << 4;
            transport[13] = row.TcpFlags ?? 0;
            BinaryPrimitives.WriteUInt16BigEndian(transport[14..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(transport[16..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(transport[18..], 0);
        }
        else if (row.Protocol == 17)
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport, row.SourcePort ?? 0);
            BinaryPrimitives.WriteUInt16BigEndian(transport[2..], row.DestinationPort ?? 0);
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], 8);
            BinaryPrimitives.WriteUInt16BigEndian(transport[6..], 0);
        }

        var ip = frame.Slice(EthernetLength, ipLength);
        Span<byte> src = stackalloc byte[16];
        Span<byte> dst = stackalloc byte[16];
        source.TryWriteBytes(src, out var addressLength);
        destination.TryWriteBytes(dst, out _);
        src = src[..addressLength];
        dst = dst[..addressLength];
        if (v6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)transportLength);
            ip[6] = row.Protocol;
            ip[7] = 64;
            src.CopyTo(ip[8..]);
            dst.CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + transportLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
            ip[8] = 64;
            ip[9] = row.Protocol;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
            src.CopyTo(ip[12..]);
            dst.CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip, 0));
        }

        if (transportLength > 0)
        {
            var segment = transport[..transportLength];
            var sum = PseudoHeaderSum(src, dst, row.Protocol, transportLength);
            var checksum = Checksum(segment, sum);
            if (row.Protocol == 17 && checksum == 0)
            {
                checksum = 0xFFFF;
            }

            BinaryPrimitives.WriteUInt16BigEndian(segment[(row.Protocol == 6 ? 16 : 6)..], checksum);
        }

        return EthernetLength + ipLength + transportLength;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>, starting from a partial sum.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        ulong sum = initial;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)(~sum & 0xFFFF);
    }

    private static uint PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        uint sum = 0;
        for (var i = 0; i < source.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(source[i..]);
            sum += BinaryPrimitives.ReadUInt16BigEndian(destination[i..]);
        }

        return sum + protocol + (uint)length;
    }
}
