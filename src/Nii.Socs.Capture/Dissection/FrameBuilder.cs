using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Nii.Socs.Capture.Dissection;

/// <summary>Builds well-formed frames (with correct checksums) for tests, the sample capture and the benchmark generator.</summary>
internal static class FrameBuilder
{
    public static byte[] Tcp(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, byte flags, ReadOnlySpan<byte> payload, int optionWords = 0, uint sequence = 1, uint acknowledgement = 0)
    {
        var headerLength = 20 + (optionWords * 4);
        var segment = new byte[headerLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), acknowledgement);
        segment[12] = (byte)((headerLength / 4) << 4);
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 64240);
        for (var i = 20; i < headerLength; i++)
        {
            segment[i] = 1; // NOP options
        }

        payload.CopyTo(segment.AsSpan(headerLength));
        return IP(source, destination, 6, segment, checksumAt: 16);
    }

    public static byte[] Udp(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var datagram = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
        payload.CopyTo(datagram.AsSpan(8));
        return IP(source, destination, 17, datagram, checksumAt: 6);
    }

    public static byte[] Icmp(IPAddress source, IPAddress destination, byte type, byte code, ReadOnlySpan<byte> payload)
    {
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
        var message = new byte[8 + payload.Length];
        message[0] = type;
        message[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), 1);
        payload.CopyTo(message.AsSpan(8));
        return IP(source, destination, (byte)(v6 ? 58 : 1), message, checksumAt: 2);
    }

    /// <summary>Wraps a transport segment in IPv4 or IPv6 (by the address family), filling the transport checksum at <paramref name="checksumAt"/>.</summary>
    public static byte[] IP(IPAddress source, IPAddress destination, byte protocol, ReadOnlySpan<byte> transport, int checksumAt = -1, int ipv4OptionWords = 0, int fragmentOffset = 0, bool moreFragments = false, ushort identification = 0x4242, byte[][]? ipv6Extensions = null)
    {
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
        var segment = transport.ToArray();
        if (checksumAt >= 0 && segment.Length >= checksumAt + 2)
        {
            var pseudo = PseudoHeader(source, destination, protocol, segment.Length, v6 || protocol != 1);
            var sum = Checksum(pseudo, segment);
            if (protocol == 17 && sum == 0)
            {
                sum = 0xFFFF;
            }

            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(checksumAt), sum);
        }

        if (v6)
        {
            var extensions = ipv6Extensions ?? [];
            var extensionLength = extensions.Sum(e => e.Length);
            var packet = new byte[40 + extensionLength + segment.Length];
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(extensionLength + segment.Length));
            packet[6] = extensions.Length > 0 ? extensions[0][0] : protocol;
            packet[7] = 64;
            source.TryWriteBytes(packet.AsSpan(8), out _);
            destination.TryWriteBytes(packet.AsSpan(24), out _);
            var at = 40;
            for (var i = 0; i < extensions.Length; i++)
            {
                // Each extension's first byte is its own type here; replace it with the next header's type.
                var copy = extensions[i].ToArray();
                copy[0] = i + 1 < extensions.Length ? extensions[i + 1][0] : protocol;
                copy.CopyTo(packet.AsSpan(at));
                at += copy.Length;
            }

            segment.CopyTo(packet.AsSpan(at));
            return packet;
        }
        else
        {
            var headerLength = 20 + (ipv4OptionWords * 4);
            var packet = new byte[headerLength + segment.Length];
            packet[0] = (byte)(0x40 | (headerLength / 4));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)));
            packet[8] = 64;
            packet[9] = protocol;
            source.TryWriteBytes(packet.AsSpan(12), out _);
            destination.TryWriteBytes(packet.AsSpan(16), out _);
            for (var i = 20; i < headerLength; i++)
            {
                packet[i] = 1; // NOP options
            }

            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum([], packet.AsSpan(0, headerLength)));
            segment.CopyTo(packet.AsSpan(headerLength));
            return packet;
        }
    }

    /// <summary>An IPv6 extension header of the given type, 8·(1+units) bytes long (the fragment header is always 8).</summary>
    public static byte[] Extension(byte type, int units = 0, int fragmentOffset = 0, bool moreFragments = false)
    {
        if (type == 44)
        {
            var fragment = new byte[8];
            fragment[0] = type;
            BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(2), (ushort)((fragmentOffset / 8) << 3 | (moreFragments ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(fragment.AsSpan(4), 0xCAFE);
            return fragment;
        }

        var header = new byte[8 * (1 + units)];
        header[0] = type;
        header[1] = (byte)units;
        if (type is 0 or 60)
        {
            header[2] = 1; // PadN option covering the rest
            header[3] = (byte)(header.Length - 4);
        }

        return header;
    }

    public static byte[] Ethernet(ReadOnlySpan<byte> ip, params ushort[] vlans)
    {
        var frame = new byte[14 + (4 * vlans.Length) + ip.Length];
        byte[] destinationMac = [0x02, 0, 0, 0, 0, 2];
        byte[] sourceMac = [0x02, 0, 0, 0, 0, 1];
        destinationMac.CopyTo(frame, 0);
        sourceMac.CopyTo(frame, 6);
        var at = 12;
        for (var i = 0; i < vlans.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), i == 0 && vlans.Length > 1 ? (ushort)0x88A8 : (ushort)0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 2), vlans[i]);
            at += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), ip.Length > 0 && ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        ip.CopyTo(frame.AsSpan(at + 2));
        return frame;
    }

    public static byte[] LinuxSll(ReadOnlySpan<byte> ip)
    {
        var frame = new byte[16 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0); // sent to us
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        ip.CopyTo(frame.AsSpan(16));
        return frame;
    }

    public static byte[] LinuxSll2(ReadOnlySpan<byte> ip)
    {
        var frame = new byte[20 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 1); // interface index
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 1); // ARPHRD_ETHER
        frame[11] = 6;
        ip.CopyTo(frame.AsSpan(20));
        return frame;
    }

    public static byte[] Null(ReadOnlySpan<byte> ip, bool bigEndian = false)
    {
        var frame = new byte[4 + ip.Length];
        uint family = ip[0] >> 4 == 6 ? 24u : 2u;
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, family);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(frame, family);
        }

        ip.CopyTo(frame.AsSpan(4));
        return frame;
    }

    private static byte[] PseudoHeader(IPAddress source, IPAddress destination, byte protocol, int length, bool include)
    {
        if (!include)
        {
            return [];
        }

        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
        var pseudo = new byte[v6 ? 40 : 12];
        if (v6)
        {
            source.TryWriteBytes(pseudo, out _);
            destination.TryWriteBytes(pseudo.AsSpan(16), out _);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)length);
            pseudo[39] = protocol;
        }
        else
        {
            source.TryWriteBytes(pseudo, out _);
            destination.TryWriteBytes(pseudo.AsSpan(4), out _);
            pseudo[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)length);
        }

        return pseudo;
    }

    private static ushort Checksum(ReadOnlySpan<byte> pseudo, ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        Add(pseudo, ref sum);
        Add(data, ref sum);
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)(~sum & 0xFFFF);
    }

    private static void Add(ReadOnlySpan<byte> data, ref ulong sum)
    {
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (ulong)data[^1] << 8;
        }
    }
}
