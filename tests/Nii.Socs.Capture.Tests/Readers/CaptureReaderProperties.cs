using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Capture.Tests.Generators;

namespace Nii.Socs.Capture.Tests.Readers;

public class CaptureReaderProperties
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    /// <summary>A valid pcap or pcapng file of 1–6 frames, in either byte order.</summary>
    private static Gen<byte[]> ValidFile() =>
        from count in Gen.Choose(1, 6)
        from frames in Gen.ArrayOf(FrameGenerators.Frame(), count)
        from pcapng in Gen.Elements(false, true)
        from bigEndian in Gen.Elements(false, true)
        select Write(frames, pcapng, bigEndian);

    private static Gen<byte[]> MutatedFile() =>
        from file in ValidFile()
        from cut in Gen.Choose(0, file.Length)
        from editCount in Gen.Choose(0, 8)
        from edits in Gen.ArrayOf(from at in Gen.Choose(0, 4000) from value in Gen.Choose(0, 255) select (at, (byte)value), editCount)
        select Mutate(file[..cut], edits);

    private static Gen<byte[]> RandomFile() =>
        from magic in Gen.Elements<byte[]>([0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0x0A, 0x0D, 0x0D, 0x0A], [])
        from rest in FrameGenerators.Bytes(600)
        select magic.Concat(rest).ToArray();

    [Property(MaxTest = 1500)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_readers_never_throw_on_random_or_mutated_files_and_always_terminate() =>
        Prop.ForAll(Gen.OneOf(MutatedFile(), RandomFile()).ToArbitrary(), file =>
        {
            if (!CaptureReader.TryOpen(new MemoryStream(file), out var reader, out _))
            {
                return true.Classify(true, "refused at open");
            }

            using (reader)
            {
                var frames = 0;
                while (reader.TryReadFrame(out var frame))
                {
                    frames++;
                    var header = Dissector.Dissect(frame.LinkType, frame.Data);
                    if (header.HeaderLength > frame.CapturedLength || frames > file.Length)
                    {
                        return false.Label("out of bounds or more frames than bytes");
                    }
                }

                return true.Classify(reader.Failure == CaptureFailure.None, "clean end").Classify(frames > 0, "frames read");
            }
        });

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_what_the_writers_write_the_readers_read_back_unchanged() =>
        Prop.ForAll(Gen.ArrayOf(FrameGenerators.Frame()).ToArbitrary(), frames =>
            RoundTrips(frames, false, false) && RoundTrips(frames, false, true) && RoundTrips(frames, true, true) && RoundTrips(frames, true, false));

    private static bool RoundTrips((LinkType Link, byte[] Frame)[] frames, bool pcapng, bool bigEndian)
    {
        var file = Write(frames, pcapng, bigEndian);
        if (!CaptureReader.TryOpen(new MemoryStream(file), out var reader, out _))
        {
            return false;
        }

        using (reader)
        {
            for (var i = 0; i < frames.Length; i++)
            {
                if (!reader.TryReadFrame(out var frame) || !frame.Data.SequenceEqual(frames[i].Frame)
                    || frame.LinkType != frames[i].Link || frame.Timestamp != T0.AddMilliseconds(i))
                {
                    return false;
                }
            }

            return !reader.TryReadFrame(out _) && reader.Failure == CaptureFailure.None;
        }
    }

    private static byte[] Write((LinkType Link, byte[] Frame)[] frames, bool pcapng, bool bigEndian)
    {
        using var stream = new MemoryStream();
        if (pcapng)
        {
            using var writer = new PcapngWriter(stream, bigEndian, leaveOpen: true);
            var ids = new Dictionary<LinkType, int>();
            for (var i = 0; i < frames.Length; i++)
            {
                if (!ids.TryGetValue(frames[i].Link, out var id))
                {
                    id = writer.AddInterface(frames[i].Link);
                    ids[frames[i].Link] = id;
                }

                writer.WriteEnhancedPacket(id, T0.AddMilliseconds(i), frames[i].Frame);
            }
        }
        else
        {
            // pcap has one link type per file: wrap every frame as raw IP when they differ.
            var link = frames.Length > 0 ? frames[0].Link : LinkType.Raw;
            for (var i = 0; i < frames.Length; i++)
            {
                if (frames[i].Link != link)
                {
                    frames[i] = (link, FrameGenerators.Wrap(link, Dissector.Dissect(frames[i].Link, frames[i].Frame) is var h && h.NetworkOffset >= 0 ? frames[i].Frame[h.NetworkOffset..] : frames[i].Frame));
                }
            }

            using var writer = new PcapWriter(stream, link, bigEndian: bigEndian, leaveOpen: true);
            for (var i = 0; i < frames.Length; i++)
            {
                writer.WriteFrame(T0.AddMilliseconds(i), frames[i].Frame);
            }
        }

        return stream.ToArray();
    }

    private static byte[] Mutate(byte[] file, (int At, byte Value)[] edits)
    {
        foreach (var (at, value) in edits)
        {
            if (file.Length > 0)
            {
                file[at % file.Length] = value;
            }
        }

        return file;
    }
}
