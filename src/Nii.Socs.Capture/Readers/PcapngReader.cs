using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Nii.Socs.Capture.Readers;

/// <summary>Streams a pcapng file: sections of either byte order, several interfaces, EPB/SPB/OPB.</summary>
/// <remarks>Format facts from draft-ietf-opsawg-pcapng: blocks are type, total length, body,
/// total length; the section header's byte-order magic 1A2B3C4D fixes the byte order of the
/// section; IDB option 9 (<c>if_tsresol</c>) gives 10^-n or 2^-n seconds per unit and option 14
/// (<c>if_tsoffset</c>) a whole-second offset. Unknown block types are skipped.</remarks>
internal sealed class PcapngReader : CaptureReader
{
    internal const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;
    private readonly StreamWindow _window;
    private readonly List<Interface> _interfaces = [];
    private bool _bigEndian;
    private DateTimeOffset _lastTimestamp = DateTimeOffset.UnixEpoch;

    internal PcapngReader(StreamWindow window) => _window = window;

    /// <summary>Why the last packet block was skipped; <see cref="CaptureFailure.None"/> if none was.</summary>
    public CaptureFailure LastSkipReason { get; private set; }

    /// <summary>The interfaces declared so far in the current section.</summary>
    public int InterfaceCount => _interfaces.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryReadFrame(out CaptureFrame frame)
    {
        frame = default;
        while (true)
        {
            if (Failure != CaptureFailure.None || _window.IsExhausted())
            {
                return false;
            }

            if (!_window.Ensure(12))
            {
                Failure = CaptureFailure.TruncatedRecord;
                return false;
            }

            var head = _window.Peek(12);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type == SectionHeaderType)
            {
                var byteOrder = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                if (byteOrder == 0x1A2B3C4D)
                {
                    _bigEndian = false;
                }
                else if (byteOrder == 0x4D3C2B1A)
                {
                    _bigEndian = true;
                }
                else
                {
                    Failure = CaptureFailure.BadSectionHeader;
                    return false;
                }
            }
            else
            {
                type = ReadUInt32(head);
            }

            var length = ReadUInt32(head[4..]);
            if (length < 12 || length % 4 != 0)
            {
                Failure = CaptureFailure.BadBlockLength;
                return false;
            }

            if (length > MaxRecordLength)
            {
                if (type is SectionHeaderType or InterfaceDescriptionType or EnhancedPacketType or SimplePacketType or ObsoletePacketType)
                {
                    Failure = CaptureFailure.RecordTooLarge;
                    return false;
                }

                if (!_window.Skip(length))
                {
                    Failure = CaptureFailure.TruncatedRecord;
                    return false;
                }

                continue;
            }

            var size = (int)length;
            if (!_window.Ensure(size))
            {
                Failure = CaptureFailure.TruncatedRecord;
                return false;
            }

            var block = _window.Peek(size);
            if (ReadUInt32(block[(size - 4)..]) != length)
            {
                Failure = CaptureFailure.BadBlockLength;
                return false;
            }

            var body = block[8..(size - 4)];
            _window.Advance(size);
            switch (type)
            {
                case SectionHeaderType:
                    if (body.Length < 16 || ReadUInt16(body[4..]) != 1)
                    {
                        Failure = CaptureFailure.BadSectionHeader;
                        return false;
                    }

                    _interfaces.Clear();
                    continue;
                case InterfaceDescriptionType:
                    if (body.Length < 8)
                    {
                        Skip(CaptureFailure.BadBlockLength);
                        continue;
                    }

                    _interfaces.Add(ReadInterface(body));
                    continue;
                case EnhancedPacketType:
                    if (TryEnhanced(body, out frame))
                    {
                        return true;
                    }

                    continue;
                case ObsoletePacketType:
                    if (TryObsolete(body, out frame))
                    {
                        return true;
                    }

                    continue;
                case SimplePacketType:
                    if (TrySimple(body, out frame))
                    {
                        return true;
                    }

                    continue;
                default:
                    continue;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        _window.Dispose();
        base.Dispose(disposing);
    }

    private bool TryEnhanced(ReadOnlySpan<byte> body, out CaptureFrame frame)
    {
        frame = default;
        if (body.Length < 20)
        {
            return Skip(CaptureFailure.BadPacketLength);
        }

        var id = ReadUInt32(body);
        var units = ((ulong)ReadUInt32(body[4..]) << 32) | ReadUInt32(body[8..]);
        return Emit(id, units, ReadUInt32(body[12..]), ReadUInt32(body[16..]), body[20..], out frame);
    }

    private bool TryObsolete(ReadOnlySpan<byte> body, out CaptureFrame frame)
    {
        frame = default;
        if (body.Length < 20)
        {
            return Skip(CaptureFailure.BadPacketLength);
        }

        var id = ReadUInt16(body);
        var units = ((ulong)ReadUInt32(body[4..]) << 32) | ReadUInt32(body[8..]);
        return Emit(id, units, ReadUInt32(body[12..]), ReadUInt32(body[16..]), body[20..], out frame);
    }

    private bool TrySimple(ReadOnlySpan<byte> body, out CaptureFrame frame)
    {
        frame = default;
        if (body.Length < 4)
        {
            return Skip(CaptureFailure.BadPacketLength);
        }

        if (_interfaces.Count == 0)
        {
            return Skip(CaptureFailure.UnknownInterface);
        }

        var face = _interfaces[0];
        var original = ReadUInt32(body);
        long captured = Math.Min(original, (uint)(body.Length - 4));
        if (face.SnapLength > 0)
        {
            captured = Math.Min(captured, face.SnapLength);
        }

        // An SPB has no timestamp: it inherits the last one seen in the file (documented in docs/capture.md).
        frame = new CaptureFrame(face.LinkType, _lastTimestamp, (int)Math.Min(original, int.MaxValue), 0, body.Slice(4, (int)captured));
        FramesRead++;
        return true;
    }

    private bool Emit(uint id, ulong units, uint captured, uint original, ReadOnlySpan<byte> rest, out CaptureFrame frame)
    {
        frame = default;
        if (id >= (uint)_interfaces.Count)
        {
            return Skip(CaptureFailure.UnknownInterface);
        }

        if (captured > (uint)rest.Length)
        {
            return Skip(CaptureFailure.BadPacketLength);
        }

        var face = _interfaces[(int)id];
        var timestamp = FromUnix(units, face.UnitsPerSecond);
        if (face.OffsetSeconds != 0)
        {
            var ticks = timestamp.UtcTicks + (face.OffsetSeconds * TimeSpan.TicksPerSecond);
            if (ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                timestamp = new DateTimeOffset(ticks, TimeSpan.Zero);
            }
        }

        _lastTimestamp = timestamp;
        frame = new CaptureFrame(face.LinkType, timestamp, (int)Math.Min(original, int.MaxValue), (int)id, rest[..(int)captured]);
        FramesRead++;
        return true;
    }

    private bool Skip(CaptureFailure reason)
    {
        SkippedBlocks++;
        LastSkipReason = reason;
        return false;
    }

    private Interface ReadInterface(ReadOnlySpan<byte> body)
    {
        var linkType = (LinkType)ReadUInt16(body);
        var snap = ReadUInt32(body[4..]);
        ulong unitsPerSecond = 1_000_000;
        long offset = 0;
        var options = body[8..];
        while (options.Length >= 4)
        {
            var code = ReadUInt16(options);
            var length = ReadUInt16(options[2..]);
            if (code == 0 || length > options.Length - 4)
            {
                break;
            }

            var value = options.Slice(4, length);
            if (code == 9 && length >= 1)
            {
                unitsPerSecond = UnitsOf(value[0]);
            }
            else if (code == 14 && length >= 8)
            {
                offset = Math.Clamp(unchecked((long)(_bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value))), -1L << 36, 1L << 36);
            }

            var padded = 4 + ((length + 3) & ~3);
            if (padded > options.Length)
            {
                break;
            }

            options = options[padded..];
        }

        return new Interface(linkType, (int)Math.Min(snap, int.MaxValue), unitsPerSecond, offset);
    }

    private static ulong UnitsOf(byte resolution)
    {
        var exponent = resolution & 0x7F;
        if ((resolution & 0x80) != 0)
        {
            return exponent <= 63 ? 1UL << exponent : 1_000_000;
        }

        if (exponent > 19)
        {
            return 1_000_000;
        }

        ulong units = 1;
        for (var i = 0; i < exponent; i++)
        {
            units *= 10;
        }

        return units;
    }

    private uint ReadUInt32(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);

    private ushort ReadUInt16(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);

    private sealed record Interface(LinkType LinkType, int SnapLength, ulong UnitsPerSecond, long OffsetSeconds);
}
