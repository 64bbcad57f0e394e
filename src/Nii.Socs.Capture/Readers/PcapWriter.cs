using System.Buffers.Binary;

namespace Nii.Socs.Capture.Readers;

/// <summary>Writes a classic libpcap file: for tests, the sample capture and the benchmark generator.</summary>
/// <remarks>
/// Frames longer than the snap length are cut to it, with their wire length kept, as libpcap does.
/// Timestamps before 1970 or after 2106 do not fit the format and are rejected.
/// </remarks>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private readonly bool _nanosecond;
    private readonly int _snapLength;
    private readonly byte[] _record = new byte[16];

    /// <summary>Starts a file: writes the 24-byte header.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="linkType">The link type of every frame.</param>
    /// <param name="nanosecond">Whether timestamps have nanosecond (magic A1B23C4D) rather than microsecond resolution.</param>
    /// <param name="bigEndian">Whether to write big-endian (as a SPARC or POWER host would).</param>
    /// <param name="snapLength">The snap length; the default is 262,144, libpcap's maximum.</param>
    /// <param name="leaveOpen">Whether disposing the writer leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="snapLength"/> is not positive.</exception>
    public PcapWriter(Stream stream, LinkType linkType, bool nanosecond = false, bool bigEndian = false, int snapLength = 262_144, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _bigEndian = bigEndian;
        _nanosecond = nanosecond;
        _snapLength = snapLength;
        Span<byte> header = stackalloc byte[24];
        Write32(header, nanosecond ? 0xA1B23C4D : 0xA1B2C3D4);
        Write16(header[4..], 2);
        Write16(header[6..], 4);
        Write32(header[16..], (uint)snapLength);
        Write32(header[20..], (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>Appends one frame.</summary>
    /// <param name="timestamp">When the frame was captured; 1970 to 2106.</param>
    /// <param name="data">The frame bytes from the link header on.</param>
    /// <param name="wireLength">The length on the wire; defaults to the data length.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp does not fit 32-bit Unix seconds.</exception>
    public void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> data, int? wireLength = null)
    {
        var ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0 || ticks / TimeSpan.TicksPerSecond > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), "A pcap timestamp must lie between 1970 and 2106.");
        }

        var captured = data[..Math.Min(data.Length, _snapLength)];
        var fraction = ticks % TimeSpan.TicksPerSecond;
        Write32(_record, (uint)(ticks / TimeSpan.TicksPerSecond));
        Write32(_record.AsSpan(4), (uint)(_nanosecond ? fraction * 100 : fraction / 10));
        Write32(_record.AsSpan(8), (uint)captured.Length);
        Write32(_record.AsSpan(12), (uint)Math.Max(wireLength ?? data.Length, data.Length));
        _stream.Write(_record);
        _stream.Write(captured);
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
