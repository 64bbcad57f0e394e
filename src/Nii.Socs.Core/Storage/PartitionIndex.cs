using System.Buffers.Binary;
using System.Net;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Core.Storage;

/// <summary>One entry of a partition's sidecar index: enough to order, filter and fetch a record without reading it.</summary>
internal readonly record struct IndexEntry(long Ticks, Guid Id, long Address, long Sid, uint SourceHash, uint DestinationHash, long Epoch)
{
    /// <summary>The size of one entry in the sidecar file.</summary>
    public const int Size = 56;

    public static IndexEntry Read(ReadOnlySpan<byte> span) => new(
        BinaryPrimitives.ReadInt64LittleEndian(span),
        new Guid(span.Slice(8, 16), bigEndian: true),
        BinaryPrimitives.ReadInt64LittleEndian(span[24..]),
        BinaryPrimitives.ReadInt64LittleEndian(span[32..]),
        BinaryPrimitives.ReadUInt32LittleEndian(span[40..]),
        BinaryPrimitives.ReadUInt32LittleEndian(span[44..]),
        BinaryPrimitives.ReadInt64LittleEndian(span[48..]));

    /// <summary>The entry of a record about to be stored at <paramref name="address"/>: what <see cref="DetectionCodec.ReadIndexFields"/>
    /// reads back from its stored bytes, taken from the record itself (the append path indexes what it just encoded).</summary>
    public static IndexEntry Of(DetectionRecord record, long address) => new(
        record.Header.ObservedAt.UtcTicks,
        record.Id.Value,
        address,
        record.Rule.Sid,
        HashOf(record.Header.Source),
        HashOf(record.Header.Destination),
        record.Epoch.Index);

    public void Write(Span<byte> span)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span, Ticks);
        Id.TryWriteBytes(span.Slice(8, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], Address);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], Sid);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], SourceHash);
        BinaryPrimitives.WriteUInt32LittleEndian(span[44..], DestinationHash);
        BinaryPrimitives.WriteInt64LittleEndian(span[48..], Epoch);
    }

    /// <summary>Orders by observation time, then id: the order of "newest first" and of cursors.</summary>
    public static int CompareKey(long ticksA, Guid idA, long ticksB, Guid idB)
    {
        var c = ticksA.CompareTo(ticksB);
        return c != 0 ? c : idA.CompareTo(idB);
    }

    /// <summary>A 32-bit FNV-1a hash of an address as 16 bytes (IPv4 mapped), for filtering by address.</summary>
    public static uint HashOf(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            // An IPv4-mapped address's own bytes are already ::ffff:a.b.c.d.
            address.TryWriteBytes(bytes, out _);
            return Fnv(FnvBasis, bytes);
        }

        // An IPv4 address is hashed as ::ffff:a.b.c.d; the state after the fixed 12-byte prefix is a constant.
        address.TryWriteBytes(bytes, out _);
        return Fnv(MappedPrefixState, bytes[..4]);
    }

    private const uint FnvBasis = 2166136261u;

    /// <summary>The FNV-1a state after the prefix of an IPv4-mapped address (10 zero bytes, then 0xFF 0xFF); the
    /// property test <c>StoredDetectionProperties</c> checks every hash against the 16-byte loop.</summary>
    private const uint MappedPrefixState = 3013018507u;

    private static uint Fnv(uint hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash;
    }
}
