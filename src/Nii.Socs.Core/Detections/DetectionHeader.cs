using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    /// <exception cref="ArgumentException"><paramref name="span"/> is shorter than <see cref="CanonicalLength"/>.</exception>
    /// <remarks>R7.1. One length check, then the fixed part with direct unaligned stores (issue #16): the bytes are the
    /// layout of <see cref="ToCanonicalBytes"/>, which blobs already stored are bound to
    /// (<c>DetectionHeaderCanonicalProperties</c> checks it against a plain field-by-field encoder).</remarks>
    internal void WriteCanonical(Span<byte> span)
    {
        var headerBytes = HeaderBytes.Span;
        if (span.Length < CanonicalFixedLength + headerBytes.Length)
        {
            throw new ArgumentException($"The canonical header needs {CanonicalFixedLength + headerBytes.Length} bytes; the span holds {span.Length}.", nameof(span));
        }

        ref var at = ref MemoryMarshal.GetReference(span);
        at = 1;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), BigEndian(ObservedAt.UtcTicks));
        WriteAddress(ref Unsafe.Add(ref at, 9), Source);
        WriteAddress(ref Unsafe.Add(ref at, 25), Destination);
        Unsafe.Add(ref at, 41) = Protocol;
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 42), BigEndian(SourcePort ?? 0xFFFF_FFFFu));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 46), BigEndian(DestinationPort ?? 0xFFFF_FFFFu));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 50), BigEndian((ushort)(TcpFlags ?? 0x1FF)));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 52), BigEndian(CapturedLength));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 56), BigEndian(WireLength));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 60), BigEndian(ContentLength));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 64), BigEndian(headerBytes.Length));
        headerBytes.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref at, CanonicalFixedLength), headerBytes.Length));
    }

    // 16 bytes: an IPv6 address as it is, an IPv4 address (or an IPv4-mapped IPv6 one) as ::ffff:a.b.c.d. The caller
    // checked that 16 bytes are there.
    private static void WriteAddress(ref byte destination, IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            // A mapped address's own 16 bytes are already ::ffff:a.b.c.d.
            address.TryWriteBytes(MemoryMarshal.CreateSpan(ref destination, 16), out _);
            return;
        }

        // Ten zero bytes and 0xFF 0xFF, then the four address bytes in network order.
        Unsafe.WriteUnaligned(ref destination, 0UL);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, 8), BigEndian(0x0000_FFFFu));
        address.TryWriteBytes(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, 12), 4), out _);
    }

    private static long BigEndian(long value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    private static int BigEndian(int value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    private static uint BigEndian(uint value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    private static ushort BigEndian(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
}
