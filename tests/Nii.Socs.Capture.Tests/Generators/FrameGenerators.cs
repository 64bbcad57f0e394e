using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Generators;

/// <summary>Well-formed frames of every supported shape, random byte strings, and mutations of valid frames.</summary>
public static class FrameGenerators
{
    public static readonly LinkType[] LinkTypes =
        [LinkType.Ethernet, LinkType.Raw, LinkType.IPv4, LinkType.IPv6, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.Loop, (LinkType)147];

    public static Gen<byte[]> Bytes(int max) =>
        from length in Gen.Choose(0, max)
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        select bytes;

    public static Gen<IPAddress> Address(bool v6) =>
        v6
            ? Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(b => new IPAddress(b))
            : Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 4).Select(b => new IPAddress(b));

    /// <summary>An IP packet: TCP (with options), UDP, ICMP/ICMPv6 or another protocol; IPv4 options, IPv6 extension headers, fragments.</summary>
    public static Gen<(byte[] Packet, int ContentLength)> IPPacket() =>
        from v6 in Gen.Elements(false, true)
        from source in Address(v6)
        from destination in Address(v6)
        from kind in Gen.Choose(0, 4)
        from payload in Bytes(120)
        from sourcePort in Gen.Choose(0, 65535)
        from destinationPort in Gen.Choose(0, 65535)
        from flags in Gen.Choose(0, 255)
        from optionWords in Gen.Choose(0, 10)
        from ipOptions in Gen.Choose(0, 10)
        from extensionCount in Gen.Choose(0, 3)
        from extensions in Gen.ArrayOf(Gen.Elements<byte>(0, 43, 60, 44), extensionCount)
        from fragmentOffset in Gen.Frequency((4, Gen.Constant(0)), (1, Gen.Choose(1, 100).Select(x => x * 8)))
        select Build(v6, source, destination, kind, payload, (ushort)sourcePort, (ushort)destinationPort, (byte)flags, optionWords, ipOptions, extensions, fragmentOffset);

    public static Gen<(LinkType Link, byte[] Frame)> Frame() => FrameWithContentLength().Select(f => (f.Link, f.Frame));

    /// <summary>A well-formed frame and the number of bytes R2.1 calls content in it.</summary>
    public static Gen<(LinkType Link, byte[] Frame, int ContentLength)> FrameWithContentLength() =>
        from ip in IPPacket()
        from link in Gen.Elements(LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null)
        from vlans in Gen.Choose(0, 2)
        select (link, Wrap(link, ip.Packet, vlans), ip.ContentLength);

    /// <summary>A valid frame, cut short and with a few bytes overwritten.</summary>
    public static Gen<(LinkType Link, byte[] Frame)> Mutated() =>
        from original in Frame()
        from cut in Gen.Choose(0, original.Frame.Length)
        from editCount in Gen.Choose(0, 6)
        from edits in Gen.ArrayOf(from at in Gen.Choose(0, 1000) from value in Gen.Choose(0, 255) select (at, (byte)value), editCount)
        select (original.Link, Mutate(original.Frame[..cut], edits));

    public static Gen<(LinkType Link, byte[] Frame)> Garbage() =>
        from link in Gen.Elements(LinkTypes)
        from bytes in Bytes(200)
        select (link, bytes);

    public static byte[] Wrap(LinkType link, byte[] ip, int vlans = 0) => link switch
    {
        LinkType.Ethernet => FrameBuilder.Ethernet(ip, [.. Enumerable.Range(1, vlans).Select(v => (ushort)(v * 100))]),
        LinkType.LinuxSll => FrameBuilder.LinuxSll(ip),
        LinkType.LinuxSll2 => FrameBuilder.LinuxSll2(ip),
        LinkType.Null => FrameBuilder.Null(ip),
        _ => ip,
    };

    private static byte[] Mutate(byte[] frame, (int At, byte Value)[] edits)
    {
        foreach (var (at, value) in edits)
        {
            if (frame.Length > 0)
            {
                frame[at % frame.Length] = value;
            }
        }

        return frame;
    }

    private static (byte[], int) Build(bool v6, IPAddress source, IPAddress destination, int kind, byte[] payload, ushort sourcePort, ushort destinationPort, byte flags, int optionWords, int ipOptions, byte[] extensions, int fragmentOffset)
    {
        var transport = kind switch
        {
            0 => FrameBuilder.Tcp(source, destination, sourcePort, destinationPort, flags, payload, optionWords),
            1 => FrameBuilder.Udp(source, destination, sourcePort, destinationPort, payload),
            2 => FrameBuilder.Icmp(source, destination, 8, 0, payload),
            _ => null,
        };
        var protocol = kind switch { 0 => (byte)6, 1 => (byte)17, 2 => (byte)(v6 ? 58 : 1), 3 => (byte)47, _ => (byte)132 };
        var segment = transport is null ? payload : transport[(v6 ? 40 : 20)..];
        var ext = v6 ? extensions.Select(t => FrameBuilder.Extension(t, t == 44 ? 0 : 1, t == 44 ? fragmentOffset : 0, t == 44)).ToArray() : null;
        var packet = FrameBuilder.IP(source, destination, protocol, segment, ipv4OptionWords: v6 ? 0 : ipOptions, fragmentOffset: v6 ? 0 : fragmentOffset, moreFragments: fragmentOffset == 0 && kind == 1, ipv6Extensions: ext);
        var fragmented = fragmentOffset != 0 && (!v6 || extensions.Contains((byte)44));
        // After a non-first IPv6 fragment header, later extension headers are fragment data too.
        var afterFragment = v6 && fragmented ? ext!.Skip(Array.IndexOf(extensions, (byte)44) + 1).Sum(e => e.Length) : 0;
        var content = fragmented ? afterFragment + segment.Length : kind == 2 && v6 ? payload.Length + 4 : payload.Length;
        return (packet, content);
    }
}
