using System.Buffers.Binary;
using System.Net;

namespace Nii.Socs.Core.Detections;

/// <summary>The header information of a detected communication (R2.1): kept in clear.</summary>
/// <remarks>
/// R2.1: everything except the header is communication content and is sealed. The header holds
/// link, network and transport fields; <see cref="HeaderBytes"/> are the raw clear header bytes
/// as captured (link + network + transport headers), so nothing of the content is in them.
/// </remarks>
public sealed record DetectionHeader
{
    /// <summary>When the frame was observed (UTC).</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    /// <summary>The source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>The destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>The IANA protocol number of the transport (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).</summary>
    public required byte Protocol { get; init; }

    /// <summary>The source port; null for protocols without ports.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>The destination port; null for protocols without ports.</summary>
    public ushort? DestinationPort { get; init; }

    /// <summary>TCP flags; null when not TCP.</summary>
    public byte? TcpFlags { get; init; }

    /// <summary>The length of the frame as captured.</summary>
    public int CapturedLength { get; init; }

    /// <summary>The length of the frame on the wire.</summary>
    public int WireLength { get; init; }

    /// <summary>The length of the content (sealed) part.</summary>
    public int ContentLength { get; init; }

    /// <summary>The raw clear header bytes (link, network and transport headers); empty for EVE alerts.</summary>
    public ReadOnlyMemory<byte> HeaderBytes { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>A deterministic encoding of the header, bound into the sealed content's AAD (R7.1).</summary>
    /// <returns>The canonical bytes; equal headers give equal bytes.</returns>
    /// <remarks>Layout (big-endian): version 1, ticks of <see cref="ObservedAt"/> (UTC), source and
    /// destination as 16-byte IPv6 (IPv4 mapped), protocol, ports (0xFFFF_FFFF when absent as 32-bit),
    /// flags (0x1FF when absent as 16-bit), the three lengths, the header bytes' length and the bytes.</remarks>
    public byte[] ToCanonicalBytes()
    {
        var buffer = new byte[CanonicalLength];
        WriteCanonical(buffer);
        return buffer;
    }

    /// <summary>The length of <see cref="ToCanonicalBytes"/>.</summary>
    internal int CanonicalLength => CanonicalFixedLength + HeaderBytes.Length;

    private const int CanonicalFixedLength = 1 + 8 + 16 + 16 + 1 + 4 + 4 + 2 + 4 + 4 + 4 + 4;

    /// <summary>Writes <see cref="ToCanonicalBytes"/> into a span of at least <see cref="CanonicalLength"/> bytes, allocating nothing (the sealing hot path).</summary>
    internal void WriteCanonical(Span<byte> span)
    {
        span[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], ObservedAt.UtcTicks);
        WriteAddress(span.Slice(9, 16), Source);
        WriteAddress(span.Slice(25, 16), Destination);
        span[41] = Protocol;
        BinaryPrimitives.WriteUInt32BigEndian(span[42..], SourcePort ?? 0xFFFF_FFFFu);
        BinaryPrimitives.WriteUInt32BigEndian(span[46..], DestinationPort ?? 0xFFFF_FFFFu);
        BinaryPrimitives.WriteUInt16BigEndian(span[50..], (ushort)(TcpFlags ?? 0x1FF));
        BinaryPrimitives.WriteInt32BigEndian(span[52..], CapturedLength);
        BinaryPrimitives.WriteInt32BigEndian(span[56..], WireLength);
        BinaryPrimitives.WriteInt32BigEndian(span[60..], ContentLength);
        BinaryPrimitives.WriteInt32BigEndian(span[64..], HeaderBytes.Length);
        HeaderBytes.Span.CopyTo(span[68..]);
    }

    // 16 bytes: an IPv6 address as it is, an IPv4 address (or an IPv4-mapped IPv6 one) as ::ffff:a.b.c.d.
    private static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            // A mapped address's own 16 bytes are already ::ffff:a.b.c.d.
            address.TryWriteBytes(destination, out _);
            return;
        }

        destination[..10].Clear();
        destination[10] = 0xFF;
        destination[11] = 0xFF;
        address.TryWriteBytes(destination[12..], out _);
    }
}
