using System.Buffers.Binary;

namespace Nii.Socs.Capture.Readers;

/// <summary>Writes pcapng: sections, interfaces with <c>if_tsresol</c>, enhanced and simple packet blocks.</summary>
/// <remarks>Used by tests to prove the reader on every block kind it accepts, in both byte orders.</remarks>
public sealed class PcapngWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private readonly List<ulong> _unitsPerSecond = [];

    /// <summary>Starts a file with a section header block.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="bigEndian">Whether the section is big-endian.</param>
    /// <param name="leaveOpen">Whether disposing the writer leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public PcapngWriter(Stream stream, bool bigEndian = false, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _bigEndian = bigEndian;
        _leaveOpen = leaveOpen;
        StartSection();
    }

    /// <summary>Starts a new section: interfaces declared before it no longer apply.</summary>
    public void StartSection()
    {
        Span<byte> body = stackalloc byte[16];
        Write32(body, 0x1A2B3C4D);
        Write16(body[4..], 1);
        Write16(body[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], -1);
        WriteBlock(0x0A0D0D0A, body);
        _unitsPerSecond.Clear();
    }

    /// <summary>Declares an interface.</summary>
    /// <param name="linkType">Its link type.</param>
    /// <param name="snapLength">Its snap length; 0 for none.</param>
    /// <param name="timestampResolution">The <c>if_tsresol</c> byte: 6 is µs (the default), 9 ns, 0x80|n is 2^-n.</param>
    /// <returns>The interface id for <see cref="WriteEnhancedPacket"/>.</returns>
    public int AddInterface(LinkType linkType, int snapLength = 0, byte timestampResolution = 6)
    {
        var body = new byte[8 + 8 + 4];
        Write16(body, (ushort)linkType);
        Write32(body.AsSpan(4), (uint)snapLength);
        Write16(body.AsSpan(8), 9);
        Write16(body.AsSpan(10), 1);
        body[12] = timestampResolution;
        var exponent = timestampResolution & 0x7F;
        _unitsPerSecond.Add((timestampResolution & 0x80) != 0 ? 1UL << exponent : (ulong)Math.Pow(10, exponent));
        WriteBlock(1, body);
        return _unitsPerSecond.Count - 1;
    }

    /// <summary>Writes an enhanced packet block.</summary>
    /// <param name="interfaceId">The interface, from <see cref="AddInterface"/>.</param>
    /// <param name="timestamp">When the frame was captured (at or after 1970).</param>
    /// <param name="data">The frame bytes.</param>
    /// <param name="wireLength">The length on the wire; defaults to the data length.</param>
    /// <exception cref="ArgumentOutOfRangeException">The interface is unknown or the timestamp is before 1970.</exception>
    public void WriteEnhancedPacket(int interfaceId, DateTimeOffset timestamp, ReadOnlySpan<byte> data, int? wireLength = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(interfaceId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(interfaceId, _unitsPerSecond.Count);
        var ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        ArgumentOutOfRangeException.ThrowIfNegative(ticks, nameof(timestamp));
        var units = (ulong)((UInt128)(ulong)ticks * _unitsPerSecond[interfaceId] / 10_000_000);
        var body = new byte[20 + ((data.Length + 3) & ~3)];
        Write32(body, (uint)interfaceId);
        Write32(body.AsSpan(4), (uint)(units >> 32));
        Write32(body.AsSpan(8), (uint)(units & 0xFFFF_FFFF));
        Write32(body.AsSpan(12), (uint)data.Length);
        Write32(body.AsSpan(16), (uint)Math.Max(wireLength ?? data.Length, data.Length));
        data.CopyTo(body.AsSpan(20));
        WriteBlock(6, body);
    }

    /// <summary>Writes a simple packet block (interface 0, no timestamp).</summary>
    /// <param name="data">The frame bytes.</param>
    public void WriteSimplePacket(ReadOnlySpan<byte> data)
    {
        var body = new byte[4 + ((data.Length + 3) & ~3)];
        Write32(body, (uint)data.Length);
        data.CopyTo(body.AsSpan(4));
        WriteBlock(3, body);
    }

    /// <summary>Writes a block of any type: readers must skip the types they do not know.</summary>
    /// <param name="type">The block type.</param>
    /// <param name="body">The body; padded to 4 bytes.</param>
    public void WriteBlock(uint type, ReadOnlySpan<byte> body)
    {
        var padded = (body.Length + 3) & ~3;
        var total = 12 + padded;
        var block = new byte[total];
        Write32(block, type);
        Write32(block.AsSpan(4), (uint)total);
        body.CopyTo(block.AsSpan(8));
        Write32(block.AsSpan(total - 4), (uint)total);
        _stream.Write(block);
    }

    /// <summary>Flushes and, unless left open, closes the stream.</summary>
    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Write32(Span<byte> span, uint value) => Endian.Write32(span, value, _bigEndian);

    private void Write16(Span<byte> span, ushort value) => Endian.Write16(span, value, _bigEndian);
}
