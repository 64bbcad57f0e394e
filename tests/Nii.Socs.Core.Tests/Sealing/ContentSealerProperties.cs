using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Core.Tests.Sealing;

public class ContentSealerProperties
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2969);

    internal static DetectionHeader Header(ushort port = 443, byte[]? headerBytes = null) => new()
    {
        ObservedAt = new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero),
        Source = IPAddress.Parse("192.0.2.10"),
        Destination = IPAddress.Parse("2001:db8::1"),
        Protocol = 6,
        SourcePort = 51515,
        DestinationPort = port,
        TcpFlags = 0x18,
        CapturedLength = 120,
        WireLength = 120,
        ContentLength = 66,
        HeaderBytes = headerBytes ?? [0x45, 0x00, 0x00, 0x78, 0xde, 0xad],
    };

    private static ContentSealer Sealer(bool aegis) =>
        new(aegis && ContentSealer.IsSupported(SealingAlgorithm.Aegis256) ? SealingAlgorithm.Aegis256 : SealingAlgorithm.XChaCha20Poly1305);

    [Property]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_sealed_content_opens_with_its_key_and_record(byte[] content, bool aegis, Guid id)
    {
        var sealer = Sealer(aegis);
        using var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, new DetectionId(id), Header());
        var blob = sealer.Seal(key, context, content);
        var opened = ContentSealer.TryOpen(key, context, blob, out var plain, out var failure);
        return (opened && failure == OpenFailure.None).Label($"opened ({failure})")
            .And((plain is not null && plain.AsSpan().SequenceEqual(content)).Label("same content"))
            .And((blob.Length == sealer.SealedLength(content.Length)).Label("length"))
            .And((blob[1] == (byte)sealer.Algorithm).Label("algorithm id recorded"))
            .And((content.Length < 8 || blob.AsSpan().IndexOf(content) < 0).Label("content not in clear"))
            .Classify(content.Length == 0, "empty").Collect(sealer.Algorithm);
    }

    [Property]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_any_single_bit_flip_in_the_blob_fails_to_open(NonEmptyArray<byte> content, NonNegativeInt bit, bool aegis)
    {
        var sealer = Sealer(aegis);
        using var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), Header());
        var blob = sealer.Seal(key, context, content.Get);
        var at = bit.Get % (blob.Length * 8);
        blob[at / 8] ^= (byte)(1 << (at % 8));
        var region = at / 8 < 2 ? "header" : at / 8 < 2 + (blob[1] == 2 ? 32 : 24) ? "nonce" : "ciphertext+tag";
        return (!ContentSealer.TryOpen(key, context, blob, out var plain, out var failure) && plain is null && failure != OpenFailure.None)
            .Label($"rejected ({failure})").Collect(region);
    }

    [Property]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_any_single_bit_flip_in_the_associated_data_parts_or_key_fails_to_open(NonEmptyArray<byte> content, NonNegativeInt bit, NonNegativeInt part)
    {
        var sealer = ContentSealer.Default;
        using var key = EpochKey.Create(s_epoch);
        var id = DetectionId.New(DateTimeOffset.UnixEpoch);
        var header = Header();
        var blob = sealer.Seal(key, SealingContext.For(s_epoch, id, header), content.Get);
        var which = part.Get % 4;
        bool opened;
        OpenFailure failure;
        switch (which)
        {
            case 0: // record id
                var idBytes = id.Value.ToByteArray();
                idBytes[(bit.Get / 8) % 16] ^= (byte)(1 << (bit.Get % 8));
                opened = ContentSealer.TryOpen(key, SealingContext.For(s_epoch, new DetectionId(new Guid(idBytes)), header), blob, out _, out failure);
                break;
            case 1: // canonical header bytes
                var canonical = header.ToCanonicalBytes();
                canonical[(bit.Get / 8) % canonical.Length] ^= (byte)(1 << (bit.Get % 8));
                opened = ContentSealer.TryOpen(key, SealingContext.For(s_epoch, id, canonical), blob, out _, out failure);
                break;
            case 2: // epoch index, with the key of that epoch holding the same bytes
                var other = s_epoch with { Index = s_epoch.Index ^ (1L << (bit.Get % 63)) };
                using (var sameBytes = EpochKey.FromBytes(other, key.Bytes))
                {
                    opened = ContentSealer.TryOpen(sameBytes, SealingContext.For(other, id, header), blob, out _, out failure);
                }

                break;
            default: // key bits
                var bytes = key.Bytes.ToArray();
                bytes[(bit.Get / 8) % 32] ^= (byte)(1 << (bit.Get % 8));
                using (var flipped = EpochKey.FromBytes(s_epoch, bytes))
                {
                    opened = ContentSealer.TryOpen(flipped, SealingContext.For(s_epoch, id, header), blob, out _, out failure);
                }

                break;
        }

        return (!opened && failure == OpenFailure.NotAuthentic).Label($"rejected as not authentic ({failure})")
            .Collect(new[] { "record id", "header", "epoch", "key" }[which]);
    }

    [Property(MaxTest = 50)]
    [Trait("Requirement", "R7.1")]
    public bool R7_1_a_blob_of_another_participant_fails_with_a_typed_error(NonEmptyArray<byte> content)
    {
        using var key = EpochKey.Create(s_epoch);
        var id = DetectionId.New(DateTimeOffset.UnixEpoch);
        var blob = ContentSealer.Default.Seal(key, SealingContext.For(s_epoch, id, Header()), content.Get);
        var elsewhere = new EpochId(new ParticipantId("kyoto-u"), s_epoch.Index);
        using var theirs = EpochKey.FromBytes(elsewhere, key.Bytes);
        var withTheirKey = ContentSealer.TryOpen(theirs, SealingContext.For(elsewhere, id, Header()), blob, out _, out var f1);
        var withOurKey = ContentSealer.TryOpen(key, SealingContext.For(elsewhere, id, Header()), blob, out _, out var f2);
        return !withTheirKey && f1 == OpenFailure.NotAuthentic && !withOurKey && f2 == OpenFailure.WrongParticipant;
    }
}

public class ContentSealerTests
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2969);

    [Fact]
    public void Blob_moved_to_another_record_does_not_open()
    {
        using var key = EpochKey.Create(s_epoch);
        var header = ContentSealerProperties.Header();
        var blob = ContentSealer.Default.Seal(key, SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), header), "GET /secret"u8);
        var other = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), header);
        Assert.False(ContentSealer.TryOpen(key, other, blob, out var plain, out var failure));
        Assert.Null(plain);
        Assert.Equal(OpenFailure.NotAuthentic, failure);
        Assert.False(ContentSealer.TryOpen(key, SealingContext.For(s_epoch, other.Record, ContentSealerProperties.Header(port: 80)), blob, out _, out _));
    }

    [Fact]
    public void Key_of_another_epoch_is_a_wrong_epoch()
    {
        using var key = EpochKey.Create(s_epoch);
        using var next = EpochKey.Create(s_epoch with { Index = s_epoch.Index + 1 });
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header());
        var blob = ContentSealer.Default.Seal(key, context, "x"u8);
        Assert.False(ContentSealer.TryOpen(next, context, blob, out _, out var failure));
        Assert.Equal(OpenFailure.WrongEpoch, failure);
        Assert.Throws<ArgumentException>(() => ContentSealer.Default.Seal(next, context, "x"u8));
    }

    [Fact]
    public void Unknown_algorithm_version_and_truncation_are_typed()
    {
        using var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header());
        var blob = ContentSealer.Default.Seal(key, context, "payload"u8);
        var unknown = (byte[])blob.Clone();
        unknown[1] = 0x7F;
        var version = (byte[])blob.Clone();
        version[0] = 2;
        Assert.False(ContentSealer.TryOpen(key, context, unknown, out _, out var f1));
        Assert.Equal(OpenFailure.UnknownAlgorithm, f1);
        Assert.False(ContentSealer.TryOpen(key, context, version, out _, out var f2));
        Assert.Equal(OpenFailure.UnsupportedVersion, f2);
        Assert.False(ContentSealer.TryOpen(key, context, blob.AsSpan(0, 20), out _, out var f3));
        Assert.Equal(OpenFailure.Malformed, f3);
        Assert.False(ContentSealer.TryOpen(key, context, [], out _, out var f4));
        Assert.Equal(OpenFailure.Malformed, f4);
    }

    [Fact]
    public void Both_algorithms_open_each_others_blobs_by_their_id()
    {
        using var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header());
        foreach (var algorithm in new[] { SealingAlgorithm.XChaCha20Poly1305, SealingAlgorithm.Aegis256 }.Where(ContentSealer.IsSupported))
        {
            var blob = new ContentSealer(algorithm).Seal(key, context, "abc"u8);
            Assert.Equal((byte)algorithm, blob[1]);
            Assert.True(ContentSealer.TryOpen(key, context, blob, out var plain, out _));
            Assert.Equal("abc"u8.ToArray(), plain);
        }
    }

    [Fact]
    public void Span_api_writes_into_caller_buffers()
    {
        using var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header());
        var sealer = ContentSealer.Default;
        var buffer = new byte[sealer.SealedLength(5) + 10];
        var n = sealer.Seal(key, context, "hello"u8, buffer);
        Assert.Equal(sealer.SealedLength(5), n);
        Assert.Equal(5, ContentSealer.PlaintextLength(buffer.AsSpan(0, n)));
        var plain = new byte[5];
        Assert.True(ContentSealer.TryOpen(key, context, buffer.AsSpan(0, n), plain, out var written, out _));
        Assert.Equal(5, written);
        Assert.Equal("hello"u8.ToArray(), plain);
        Assert.Throws<ArgumentException>(() => sealer.Seal(key, context, "hello"u8, new byte[n - 1]));
    }

    [Fact]
    public void Destroyed_key_cannot_seal()
    {
        var key = EpochKey.Create(s_epoch);
        var context = SealingContext.For(s_epoch, DetectionId.New(DateTimeOffset.UnixEpoch), ContentSealerProperties.Header());
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ContentSealer.Default.Seal(key, context, "x"u8));
    }

    [Fact]
    public void Record_context_needs_participant_and_epoch_to_agree()
    {
        var record = new DetectionRecord
        {
            Id = DetectionId.New(DateTimeOffset.UnixEpoch),
            Participant = new ParticipantId("kyoto-u"),
            Epoch = s_epoch,
            Header = ContentSealerProperties.Header(),
            Rule = new RuleRef(1, 1, "test", null, 3),
        };
        Assert.Throws<ArgumentException>(() => SealingContext.For(record));
        Assert.Equal(s_epoch, SealingContext.For(record with { Participant = s_epoch.Participant }).Epoch);
    }
}
