using System.Net;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;

namespace Nii.Socs.Capture.Tests.Readers;

public class CaptureReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Udp = FrameBuilder.Udp(IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.2"), 1000, 53, new byte[40]);

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Pcap_round_trips_in_both_byte_orders_and_resolutions(bool bigEndian, bool nanosecond)
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Raw, nanosecond, bigEndian, leaveOpen: true))
        {
            writer.WriteFrame(T0.AddTicks(1234567), Udp);
            writer.WriteFrame(T0.AddSeconds(1), Udp.AsSpan(0, 30), Udp.Length);
        }

        stream.Position = 0;
        Assert.True(CaptureReader.TryOpen(stream, out var reader, out _));
        using (reader)
        {
            Assert.True(reader.TryReadFrame(out var first));
            Assert.Equal(LinkType.Raw, first.LinkType);
            Assert.Equal(nanosecond ? T0.AddTicks(1234567) : T0.AddTicks(1234560), first.Timestamp);
            Assert.Equal(Udp, first.Data.ToArray());
            Assert.True(reader.TryReadFrame(out var second));
            Assert.Equal((30, Udp.Length), (second.CapturedLength, second.WireLength));
            Assert.False(reader.TryReadFrame(out _));
            Assert.Equal(CaptureFailure.None, reader.Failure);
        }
    }

    [Fact]
    public void Snap_length_cuts_frames_and_keeps_the_wire_length()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Raw, snapLength: 32, leaveOpen: true))
        {
            writer.WriteFrame(T0, Udp);
        }

        stream.Position = 0;
        Assert.True(CaptureReader.TryOpen(stream, out var reader, out _));
        using (reader)
        {
            Assert.True(reader.TryReadFrame(out var frame));
            Assert.Equal((32, Udp.Length), (frame.CapturedLength, frame.WireLength));
        }
    }

    [Fact]
    public void A_truncated_pcap_stops_with_a_reason_after_the_good_frames()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Raw, leaveOpen: true))
        {
            writer.WriteFrame(T0, Udp);
            writer.WriteFrame(T0, Udp);
        }

        var bytes = stream.ToArray()[..^5];
        Assert.True(CaptureReader.TryOpen(new MemoryStream(bytes), out var reader, out _));
        using (reader)
        {
            Assert.True(reader.TryReadFrame(out _));
            Assert.False(reader.TryReadFrame(out _));
            Assert.Equal(CaptureFailure.TruncatedRecord, reader.Failure);
        }
    }

    [Fact]
    public void A_huge_record_length_is_refused_without_allocating_it()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Raw, leaveOpen: true))
        {
            writer.WriteFrame(T0, Udp);
        }

        var bytes = stream.ToArray();
        BitConverter.GetBytes(0x7FFF_FFF0u).CopyTo(bytes, 24 + 8);
        Assert.True(CaptureReader.TryOpen(new MemoryStream(bytes), out var reader, out _));
        using (reader)
        {
            Assert.False(reader.TryReadFrame(out _));
            Assert.Equal(CaptureFailure.RecordTooLarge, reader.Failure);
        }
    }

    [Fact]
    public void Unknown_and_empty_inputs_are_refused_with_a_reason()
    {
        Assert.False(CaptureReader.TryOpen(new MemoryStream("hello world"u8.ToArray()), out _, out var unknown));
        Assert.Equal(CaptureFailure.UnknownFormat, unknown);
        Assert.False(CaptureReader.TryOpen(new MemoryStream([0xD4, 0xC3, 0xB2, 0xA1, 2, 0]), out _, out var shortHeader));
        Assert.Equal(CaptureFailure.TruncatedFileHeader, shortHeader);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcapng_reads_several_interfaces_resolutions_simple_packets_and_skips_unknown_blocks(bool bigEndian)
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapngWriter(stream, bigEndian, leaveOpen: true))
        {
            var ethernet = writer.AddInterface(LinkType.Ethernet, 0, 6);
            var raw = writer.AddInterface(LinkType.Raw, 0, 9);
            var binary = writer.AddInterface(LinkType.LinuxSll, 0, 0x80 | 20);
            writer.WriteEnhancedPacket(ethernet, T0.AddTicks(10), FrameBuilder.Ethernet(Udp));
            writer.WriteBlock(0x0BAD_F00D, new byte[13]);
            writer.WriteEnhancedPacket(raw, T0.AddTicks(12345678), Udp);
            writer.WriteEnhancedPacket(binary, T0.AddSeconds(2), FrameBuilder.LinuxSll(Udp));
            writer.WriteSimplePacket(FrameBuilder.Ethernet(Udp));
            writer.StartSection();
            writer.AddInterface(LinkType.IPv4);
            writer.WriteEnhancedPacket(0, T0.AddSeconds(3), Udp);
        }

        stream.Position = 0;
        Assert.True(CaptureReader.TryOpen(stream, out var reader, out _));
        using (reader)
        {
            var seen = new List<(LinkType, DateTimeOffset, int, int)>();
            while (reader.TryReadFrame(out var frame))
            {
                var header = Dissector.Dissect(frame.LinkType, frame.Data);
                Assert.Equal((ushort)53, header.DestinationPort);
                seen.Add((frame.LinkType, frame.Timestamp, frame.InterfaceId, frame.CapturedLength));
            }

            Assert.Equal(CaptureFailure.None, reader.Failure);
            Assert.Equal(
                [
                    (LinkType.Ethernet, T0.AddTicks(10), 0, Udp.Length + 14),
                    (LinkType.Raw, T0.AddTicks(12345678), 1, Udp.Length),
                    (LinkType.LinuxSll, T0.AddSeconds(2), 2, Udp.Length + 16),
                    (LinkType.Ethernet, T0.AddSeconds(2), 0, Udp.Length + 14),
                    (LinkType.IPv4, T0.AddSeconds(3), 0, Udp.Length),
                ],
                seen);
        }
    }

    [Fact]
    public void Pcapng_packet_for_an_undeclared_interface_is_skipped_and_counted()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapngWriter(stream, leaveOpen: true))
        {
            writer.AddInterface(LinkType.Raw);
            writer.WriteEnhancedPacket(0, T0, Udp);
            writer.StartSection();
            writer.WriteSimplePacket(Udp);
        }

        stream.Position = 0;
        Assert.True(CaptureReader.TryOpen(stream, out var reader, out _));
        using (reader)
        {
            Assert.True(reader.TryReadFrame(out _));
            Assert.False(reader.TryReadFrame(out _));
            Assert.Equal((CaptureFailure.None, 1L), (reader.Failure, reader.SkippedBlocks));
        }
    }
}
