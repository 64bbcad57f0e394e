using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Core.Tests.Storage;

public sealed class StoredDetectionProperties
{
    private static Gen<IPAddress> Addresses => Gen.OneOf(
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4).Select(b => new IPAddress(b)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Select(b => new IPAddress(b)));

    private static Gen<DetectionRecord> Records =>
        from ticks in Gen.Choose(0, int.MaxValue).Select(s => new DateTimeOffset(1955, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(s * 1.37))
        from who in Gen.Elements("u-tokyo", "kyoto-u", "a")
        from epoch in Gen.Choose(0, 100_000)
        from source in Addresses
        from destination in Addresses
        from port in Gen.Elements<ushort?>(null, 0, 22, 65535)
        from flags in Gen.Elements<byte?>(null, 0, 0x12, 0xFF)
        from sid in Gen.Choose(0, int.MaxValue)
        from classType in Gen.Elements<string?>(null, "trojan-activity", "ウイルス")
        from content in Gen.Frequency(
            (6, Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())),
            // Across MessagePack's bin8/bin16/bin32 length headers (255/256, 65,535/65,536 bytes) and a full frame.
            (1, from n in Gen.Elements(255, 256, 1460, 65_535, 65_536, 70_000)
                from seed in Gen.Choose(0, 255)
                select Enumerable.Range(0, n).Select(i => (byte)((i * 31) + seed)).ToArray()))
        from header in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
        from id in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16)
        select new DetectionRecord
        {
            // Instants before 1970 cannot make version-7 ids; any 16 bytes are a valid stored id.
            Id = new DetectionId(new Guid(id)),
            Participant = new ParticipantId(who),
            Epoch = new EpochId(new ParticipantId(who), epoch),
            Header = new DetectionHeader
            {
                ObservedAt = ticks,
                Source = source,
                Destination = destination,
                Protocol = 6,
                SourcePort = port,
                DestinationPort = port,
                TcpFlags = flags,
                CapturedLength = header.Length,
                WireLength = header.Length + 4,
                ContentLength = content.Length,
                HeaderBytes = header,
            },
            Rule = new RuleRef(sid, 2, "msg", classType, 1 + (sid % 255)),
            Source = sid % 2 == 0 ? DetectionSource.Packet : DetectionSource.Eve,
            SealedContent = content,
        };

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_a_stored_record_reads_back_field_for_field_and_indexes_the_same()
    {
        return Prop.ForAll(Records.ToArbitrary(), r =>
        {
            var bytes = DetectionCodec.Encode(r);
            var back = DetectionCodec.Decode(bytes);
            var index = DetectionCodec.ReadIndexFields(bytes, 4242);
            return (back.Id == r.Id).Label("id")
                .And((back.Participant == r.Participant && back.Epoch == r.Epoch).Label("participant, epoch"))
                .And(back.Header.ToCanonicalBytes().AsSpan().SequenceEqual(r.Header.ToCanonicalBytes()).Label("header"))
                .And((back.Header.Source.Equals(r.Header.Source) && back.Header.Destination.Equals(r.Header.Destination)).Label("addresses keep their family"))
                .And((back.Rule == r.Rule && back.Source == r.Source).Label("rule"))
                .And(back.SealedContent.Span.SequenceEqual(r.SealedContent.Span).Label("content"))
                .And((index == new IndexEntry(r.Header.ObservedAt.UtcTicks, r.Id.Value, 4242, r.Rule.Sid, IndexEntry.HashOf(r.Header.Source), IndexEntry.HashOf(r.Header.Destination), r.Epoch.Index)).Label("index fields"));
        });
    }

    [Property(MaxTest = 300)]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_the_allocation_free_encoder_writes_the_bytes_of_the_contract_serializer()
    {
        // Issue #16 replaced the contract serializer on the append path; the stored format must not move by a byte.
        return Prop.ForAll(Records.ToArbitrary(), r =>
        {
            var expected = DetectionAppendPathTests.ContractEncode(r);
            var buffer = DetectionCodec.ThreadBuffer();
            System.Buffers.BuffersExtensions.Write(buffer, new byte[] { 0xAA, 0xBB });
            buffer.ResetWrittenCount();
            DetectionCodec.Encode(r, buffer);
            return buffer.WrittenSpan.SequenceEqual(expected).Label("the same bytes into the reused buffer")
                .And(DetectionCodec.Encode(r).AsSpan().SequenceEqual(expected).Label("the same bytes into a new array"))
                .And(Framed(r).AsSpan().SequenceEqual(expected).Label("the same bytes framed for the log page (head, content, tail)"))
                .And((IndexEntry.Of(r, 4242) == DetectionCodec.ReadIndexFields(expected, 4242)).Label("the index entry taken from the record is the one parsed from its bytes"))
                .And((IndexEntry.HashOf(r.Header.Source) == EarlierHashOf(r.Header.Source)).Label("address hash as sidecars written before hold it"));
        });
    }

    // What FASTER writes into its page for the append path's entry: SerializedLength bytes through SerializeTo.
    private static byte[] Framed(DetectionRecord r)
    {
        var entry = DetectionCodec.Frame(r);
        var page = new byte[entry.SerializedLength];
        entry.SerializeTo(page);
        return page;
    }

    // IndexEntry.HashOf as written before issue #16 (through IPPrefix.ToBits): sidecars on disk hold these hashes.
    private static uint EarlierHashOf(IPAddress address)
    {
        var (isIPv6, bits) = Nii.Socs.Core.Scope.IPPrefix.ToBits(address);
        if (!isIPv6)
        {
            bits |= (UInt128)0xFFFF << 32;
        }

        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, bits);
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash;
    }

    [Fact]
    public void Trailing_bytes_and_unknown_schema_are_refused()
    {
        var bytes = DetectionCodec.Encode(StorageTestKit.Record(StorageTestKit.UTokyo, DateTimeOffset.UnixEpoch));
        Assert.Throws<InvalidDataException>(() => DetectionCodec.Decode(bytes.Append((byte)0xC0).ToArray()));
        var wrongSchema = (byte[])bytes.Clone();
        wrongSchema[1] = 2; // [array header][schema positive fixint]
        Assert.Throws<InvalidDataException>(() => DetectionCodec.Decode(wrongSchema));
        Assert.Throws<InvalidDataException>(() => DetectionCodec.ReadIndexFields(wrongSchema, 0));
        Assert.Throws<InvalidDataException>(() => DetectionCodec.Decode(bytes.AsMemory(0, bytes.Length - 3)));
    }
}
