using System.Buffers.Binary;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NSec.Cryptography;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Core.Tests.Sealing;

/// <summary>The ingest path's sealing fast path (issue #16: <see cref="EpochSealer"/> with a <see cref="SealingScratch"/>,
/// <see cref="DetectionHeader.WriteCanonical"/> with direct stores) against the layout blobs already stored are bound to,
/// written out here field by field from its documentation: the same associated data and the same blob, byte for byte.</summary>
public class SealingFastPathProperties
{
    private static Gen<IPAddress> Addresses => Gen.OneOf(
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4).Select(b => new IPAddress(b)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Select(b => new IPAddress(b)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Select(b => new IPAddress(b, 7)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4).Select(b => new IPAddress(b).MapToIPv6()));

    private static Gen<DateTimeOffset> Instants =>
        from ticks in Gen.Choose(0, int.MaxValue).Select(t => TimeSpan.TicksPerDay + (t * 1_000_000_000L) + t)
        from offset in Gen.Elements(TimeSpan.Zero, TimeSpan.FromHours(9), TimeSpan.FromHours(-5))
        select new DateTimeOffset(new DateTime(ticks, DateTimeKind.Unspecified), offset);

    private static Gen<DetectionHeader> Headers =>
        from observedAt in Instants
        from source in Addresses
        from destination in Addresses
        from protocol in ArbMap.Default.GeneratorFor<byte>()
        from sourcePort in ArbMap.Default.GeneratorFor<ushort?>()
        from destinationPort in ArbMap.Default.GeneratorFor<ushort?>()
        from flags in ArbMap.Default.GeneratorFor<byte?>()
        from lengths in Gen.ArrayOf(ArbMap.Default.GeneratorFor<int>(), 3)
        from headerBytes in Gen.Frequency((6, Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())), (1, Gen.Choose(400, 1200).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))))
        from headerOffset in Gen.Choose(0, 5)
        select new DetectionHeader
        {
            ObservedAt = observedAt,
            Source = source,
            Destination = destination,
            Protocol = protocol,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            TcpFlags = flags,
            CapturedLength = lengths[0],
            WireLength = lengths[1],
            ContentLength = lengths[2],

            // Header bytes as a slice of a larger array, as the capture path hands them over.
            HeaderBytes = new byte[headerOffset].Concat(headerBytes).Concat(new byte[3]).ToArray().AsMemory(headerOffset, headerBytes.Length),
        };

    private static Gen<ParticipantId> Participants =>
        Gen.Elements("u-tokyo", "nii", "a", "kyoto-u", new string('x', 63), "0-sensor-9").Select(p => new ParticipantId(p));

    [Property(MaxTest = 300)]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_the_fast_path_seals_the_same_associated_data_and_blob_bytes_as_the_stored_layout()
    {
        var gen = from header in Headers
                  from participant in Participants
                  from index in ArbMap.Default.GeneratorFor<long>()
                  from id in ArbMap.Default.GeneratorFor<Guid>()
                  from content in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
                  from aegis in ArbMap.Default.GeneratorFor<bool>()
                  from slabOffset in Gen.Choose(0, 63)
                  select (header, epoch: new EpochId(participant, index), id: new DetectionId(id), content, aegis, slabOffset);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var algorithm = t.aegis && ContentSealer.IsSupported(SealingAlgorithm.Aegis256) ? SealingAlgorithm.Aegis256 : SealingAlgorithm.XChaCha20Poly1305;
            var sealer = new ContentSealer(algorithm);
            using var key = EpochKey.Create(t.epoch);
            var expectedAad = ReferenceAssociatedData(t.epoch, t.id, t.header);

            // The fast path, into the middle of a slab, with a scratch whose buffer held another record's data before.
            var epochSealer = new EpochSealer(sealer, key);
            var scratch = new SealingScratch();
            var slab = new byte[t.slabOffset + epochSealer.SealedLength(t.content.Length) + 9];
            epochSealer.Seal(DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header(), [1, 2, 3], slab, scratch);
            Array.Clear(slab);
            var written = epochSealer.Seal(t.id, t.header, t.content, slab.AsSpan(t.slabOffset), scratch);
            var blob = slab.AsSpan(t.slabOffset, written).ToArray();
            var fastAad = scratch.AssociatedData.AsSpan(0, expectedAad.Length).ToArray();

            // The blob the stored layout gives for the nonce the fast path drew, sealed with NSec directly.
            AeadAlgorithm aead = algorithm == SealingAlgorithm.Aegis256 ? AeadAlgorithm.Aegis256 : AeadAlgorithm.XChaCha20Poly1305;
            var nonce = blob.AsSpan(2, aead.NonceSize).ToArray();
            var expectedBlob = new byte[2 + aead.NonceSize + t.content.Length + aead.TagSize];
            expectedBlob[0] = 1;
            expectedBlob[1] = (byte)algorithm;
            nonce.CopyTo(expectedBlob, 2);
            aead.Encrypt(key.AeadKey(aead), nonce, expectedAad, t.content, expectedBlob.AsSpan(2 + aead.NonceSize));

            var canonical = t.header.ToCanonicalBytes();
            return fastAad.AsSpan().SequenceEqual(expectedAad).Label("fast path's associated data is the stored layout")
                .And(SealingContext.For(t.epoch, t.id, t.header).AssociatedData.SequenceEqual(expectedAad).Label("SealingContext's associated data is the stored layout"))
                .And(canonical.AsSpan().SequenceEqual(ReferenceCanonicalHeader(t.header)).Label("canonical header"))
                .And(blob.AsSpan().SequenceEqual(expectedBlob).Label("blob byte for byte"))
                .And((slab.AsSpan(0, t.slabOffset).IndexOfAnyExcept((byte)0) < 0 && slab.AsSpan(t.slabOffset + written).IndexOfAnyExcept((byte)0) < 0).Label("nothing written outside the blob"))
                .And(ContentSealer.TryOpen(key, SealingContext.For(t.epoch, t.id, t.header), blob, out var plain, out _) && plain.AsSpan().SequenceEqual(t.content))
                .Classify(t.header.HeaderBytes.Length > 400, "associated data longer than the scratch's first buffer")
                .Collect(algorithm);
        });
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void A_destination_too_short_for_the_canonical_header_is_refused_before_a_byte_is_written()
    {
        var header = ContentSealerProperties.Header(headerBytes: new byte[10]);
        var span = new byte[header.ToCanonicalBytes().Length - 1];
        Assert.Throws<ArgumentException>(() => header.WriteCanonical(span));
        Assert.True(span.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    // The associated data as docs and SealingContext describe it: label, participant length and UTF-8, epoch index
    // (big-endian), record id (RFC 9562 order), canonical header.
    private static byte[] ReferenceAssociatedData(EpochId epoch, DetectionId id, DetectionHeader header)
    {
        var aad = new List<byte>();
        aad.AddRange("nii-socs/content/v1"u8.ToArray());
        var participant = Encoding.UTF8.GetBytes(epoch.Participant.Value);
        aad.Add((byte)participant.Length);
        aad.AddRange(participant);
        aad.AddRange(BigEndian(epoch.Index));
        aad.AddRange(id.Value.ToByteArray(bigEndian: true));
        aad.AddRange(ReferenceCanonicalHeader(header));
        return [.. aad];
    }

    // The canonical header field by field, as DetectionHeader.ToCanonicalBytes documents it; addresses as the scope code
    // saw them before issue #16 (IPPrefix.ToBits), which blobs on disk are bound to.
    private static byte[] ReferenceCanonicalHeader(DetectionHeader h)
    {
        var bytes = new List<byte> { 1 };
        bytes.AddRange(BigEndian(h.ObservedAt.UtcTicks));
        bytes.AddRange(Address(h.Source));
        bytes.AddRange(Address(h.Destination));
        bytes.Add(h.Protocol);
        bytes.AddRange(BigEndian(h.SourcePort is { } sp ? sp : -1));
        bytes.AddRange(BigEndian(h.DestinationPort is { } dp ? dp : -1));
        bytes.Add(h.TcpFlags is null ? (byte)0x01 : (byte)0);
        bytes.Add(h.TcpFlags ?? 0xFF);
        bytes.AddRange(BigEndian(h.CapturedLength));
        bytes.AddRange(BigEndian(h.WireLength));
        bytes.AddRange(BigEndian(h.ContentLength));
        bytes.AddRange(BigEndian(h.HeaderBytes.Length));
        bytes.AddRange(h.HeaderBytes.ToArray());
        return [.. bytes];
    }

    private static byte[] Address(IPAddress address)
    {
        var (_, bits) = Nii.Socs.Core.Scope.IPPrefix.ToBits(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        if (!(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6))
        {
            bits |= (UInt128)0xFFFF << 32;
        }

        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, bits);
        return bytes;
    }

    private static byte[] BigEndian(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
