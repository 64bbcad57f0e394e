using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Nii.Socs.Capture.Readers;

/// <summary>Streams a classic libpcap file: either byte order, microsecond or nanosecond timestamps.</summary>
/// <remarks>Format facts from the libpcap file-format description (draft-ietf-opsawg-pcap): a
/// 24-byte header (magic A1B2C3D4 µs / A1B23C4D ns, version, snaplen, link type) and 16-byte record
/// headers (seconds, fraction, captured length, original length).</remarks>
internal sealed class PcapReader : CaptureReader
{
    private const uint MicroMagic = 0xA1B2C3D4;
    private const uint NanoMagic = 0xA1B23C4D;
    private readonly StreamWindow _window;
    private readonly bool _bigEndian;
    private readonly ulong _unitsPerSecond;

    internal PcapReader(StreamWindow window)
    {
        _window = window;
        if (!window.Ensure(24))
        {
            Failure = CaptureFailure.TruncatedFileHeader;
            return;
        }

        var header = window.Peek(24);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        _bigEndian = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
        var normalised = _bigEndian ? BinaryPrimitives.ReverseEndianness(magic) : magic;
        _unitsPerSecond = normalised == NanoMagic ? 1_000_000_000UL : 1_000_000UL;
        SnapLength = (int)Math.Min(ReadUInt32(header[16..]), int.MaxValue);
        LinkType = (LinkType)(ReadUInt32(header[20..]) & 0xFFFF);
        window.Advance(24);
    }

    public int SnapLength { get; }

    public LinkType LinkType { get; }

    public bool IsNanosecond => _unitsPerSecond == 1_000_000_000UL;

    internal static bool IsMagic(uint littleEndian) =>
        littleEndian is MicroMagic or NanoMagic or 0xD4C3B2A1 or 0x4D3CB2A1;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryReadFrame(out CaptureFrame frame)
    {
        frame = default;
        if (Failure != CaptureFailure.None || _window.IsExhausted())
        {
            return false;
        }

        if (!_window.Ensure(16))
        {
            Failure = CaptureFailure.TruncatedRecord;
            return false;
        }

        var record = _window.Peek(16);
        var seconds = ReadUInt32(record);
        var fraction = ReadUInt32(record[4..]);
        var captured = ReadUInt32(record[8..]);
        var original = ReadUInt32(record[12..]);
        if (captured > MaxRecordLength)
        {
            Failure = CaptureFailure.RecordTooLarge;
            return false;
        }

        if (!_window.Ensure(16 + (int)captured))
        {
            Failure = CaptureFailure.TruncatedRecord;
            return false;
        }

        var data = _window.Peek(16 + (int)captured)[16..];
        _window.Advance(16 + (int)captured);
        // 32-bit seconds are always in range: ticks come from one multiplication or division (as FromUnix computes them).
        var units = ((ulong)seconds * _unitsPerSecond) + fraction;
        var ticks = _unitsPerSecond == 1_000_000UL ? units * 10 : units / 100;
        var timestamp = new DateTimeOffset(UnixEpochTicks + (long)ticks, TimeSpan.Zero);
        frame = new CaptureFrame(LinkType, timestamp, (int)Math.Min(original, int.MaxValue), 0, data);
        FramesRead++;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        _window.Dispose();
        base.Dispose(disposing);
    }

    private uint ReadUInt32(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
}
