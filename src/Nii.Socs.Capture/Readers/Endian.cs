using System.Buffers.Binary;

namespace Nii.Socs.Capture.Readers;

/// <summary>Writes integers in the byte order a capture file declares (pcap and pcapng both allow either).</summary>
internal static class Endian
{
    public static void Write32(Span<byte> span, uint value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
    }

    public static void Write16(Span<byte> span, ushort value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }
}
