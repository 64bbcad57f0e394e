using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Core.Tests.Sealing;

/// <summary>The ingest path's sealer (issue #16): same blobs as <see cref="ContentSealer"/> with a <see cref="SealingContext"/>, nonces never repeated.</summary>
public class EpochSealerTests
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2969);

    private static Gen<IPAddress> Addresses => Gen.OneOf(
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4).Select(b => new IPAddress(b)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Select(b => new IPAddress(b)),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4).Select(b => new IPAddress(b).MapToIPv6()));

    private static Gen<DetectionHeader> Headers =>
        from source in Addresses
        from destination in Addresses
        from port in Gen.Elements<ushort?>(null, 0, 443)
        from flags in Gen.Elements<byte?>(null, 0x18)
        from headerLength in Gen.Elements(0, 54, 400, 700)
        select new DetectionHeader
        {
            ObservedAt = new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero),
            Source = source,
            Destination = destination,
            Protocol = 6,
            SourcePort = port,
            DestinationPort = port,
            TcpFlags = flags,
            CapturedLength = headerLength + 10,
            WireLength = headerLength + 10,
            ContentLength = 10,
            HeaderBytes = Enumerable.Range(0, headerLength).Select(i => (byte)i).ToArray(),
        };

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_a_blob_sealed_by_the_epoch_sealer_opens_with_the_records_context_and_no_other()
    {
        var gen = from header in Headers
                  from content in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
                  from aegis in ArbMap.Default.GeneratorFor<bool>()
                  from id in ArbMap.Default.GeneratorFor<Guid>()
                  select (header, content, aegis, id);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var sealer = new ContentSealer(t.aegis && ContentSealer.IsSupported(SealingAlgorithm.Aegis256) ? SealingAlgorithm.Aegis256 : SealingAlgorithm.XChaCha20Poly1305);
            using var key = EpochKey.Create(s_epoch);
            var epochSealer = new EpochSealer(sealer, key);
            var id = new DetectionId(t.id);

            // Sealed into the middle of a larger buffer, as into a slab.
            var slab = new byte[epochSealer.SealedLength(t.content.Length) + 20];
            var written = epochSealer.Seal(id, t.header, t.content, slab.AsSpan(7));
            var blob = slab.AsSpan(7, written).ToArray();
            var opened = ContentSealer.TryOpen(key, SealingContext.For(s_epoch, id, t.header), blob, out var plain, out var failure);
            var otherId = ContentSealer.TryOpen(key, SealingContext.For(s_epoch, new DetectionId(Guid.NewGuid()), t.header), blob, out _, out var otherFailure);
            return (opened && failure == OpenFailure.None).Label($"opens with SealingContext.For ({failure})")
                .And((plain is not null && plain.AsSpan().SequenceEqual(t.content)).Label("same content"))
                .And((written == sealer.SealedLength(t.content.Length)).Label("length"))
                .And((slab.AsSpan(0, 7).IndexOfAnyExcept((byte)0) < 0 && slab.AsSpan(7 + written).IndexOfAnyExcept((byte)0) < 0).Label("nothing written outside the blob"))
                .And((!otherId && otherFailure == OpenFailure.NotAuthentic).Label("bound to the record id"))
                .And((t.header.ToCanonicalBytes().AsSpan(9, 16).SequenceEqual(EarlierAddressBytes(t.header.Source))
                    && t.header.ToCanonicalBytes().AsSpan(25, 16).SequenceEqual(EarlierAddressBytes(t.header.Destination))).Label("addresses laid out as blobs sealed before were bound to"))
                .Classify(t.header.HeaderBytes.Length > 400, "associated data longer than the first scratch array");
        });
    }

    // DetectionHeader's address layout before issue #16 (through IPPrefix.ToBits): blobs on disk are bound to it.
    private static byte[] EarlierAddressBytes(IPAddress address)
    {
        var (_, bits) = Nii.Socs.Core.Scope.IPPrefix.ToBits(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        if (!(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6))
        {
            bits |= (UInt128)0xFFFF << 32;
        }

        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, bits);
        return bytes;
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void Nonces_of_blobs_sealed_on_several_threads_across_nonce_blocks_never_repeat()
    {
        // Each thread seals across several 4 KiB nonce blocks (170 XChaCha nonces per block); every nonce is read back
        // from its blob: all distinct, none zero (a handed-out and cleared byte reused would show as zeros).
        using var key = EpochKey.Create(s_epoch);
        var epochSealer = new EpochSealer(new ContentSealer(SealingAlgorithm.XChaCha20Poly1305), key);
        var header = ContentSealerProperties.Header();
        const int perThread = 4 * KeyMaterial.NonceBlockSize / 24;
        var nonces = new string[4][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var mine = new string[perThread];
            var blob = new byte[epochSealer.SealedLength(3)];
            for (var i = 0; i < perThread; i++)
            {
                epochSealer.Seal(DetectionId.New(header.ObservedAt), header, "abc"u8, blob);
                var nonce = blob.AsSpan(2, 24);
                Assert.True(nonce.IndexOfAnyExcept((byte)0) >= 0);
                mine[i] = Convert.ToHexString(nonce);
            }

            nonces[t] = mine;
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        var all = nonces.SelectMany(n => n).ToArray();
        Assert.Equal(4 * perThread, all.Length);
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void A_destroyed_key_stops_its_epoch_sealer_and_a_short_destination_is_refused()
    {
        var key = EpochKey.Create(s_epoch);
        var epochSealer = new EpochSealer(ContentSealer.Default, key);
        var header = ContentSealerProperties.Header();
        var id = DetectionId.New(header.ObservedAt);
        Assert.Throws<ArgumentException>(() => epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3) - 1]));
        Assert.Equal(epochSealer.SealedLength(3), epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3)]));
        var scratch = new SealingScratch();
        Assert.Throws<ArgumentException>(() => epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3) - 1], scratch));
        Assert.Equal(epochSealer.SealedLength(3), epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3)], scratch));
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3)]));
        Assert.Throws<ObjectDisposedException>(() => epochSealer.Seal(id, header, "abc"u8, new byte[epochSealer.SealedLength(3)], scratch));
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void One_scratch_shared_by_sealers_of_two_epochs_binds_each_blob_to_its_own_epoch_and_never_repeats_a_nonce()
    {
        // The ingest path's scratch keeps the last sealer's epoch prefix in its buffer: switching sealers must lay out the
        // other prefix, and an associated data longer than the buffer must grow it. Nonces over several 4 KiB blocks differ.
        using var a = EpochKey.Create(s_epoch);
        using var b = EpochKey.Create(new EpochId(new ParticipantId("kyoto-u"), 2969));
        var sealers = new[] { new EpochSealer(ContentSealer.Default, a), new EpochSealer(ContentSealer.Default, b) };
        var scratch = new SealingScratch();
        var nonces = new HashSet<string>(StringComparer.Ordinal);
        var count = 3 * KeyMaterial.NonceBlockSize / 24;
        for (var i = 0; i < count; i++)
        {
            var sealer = sealers[(i / 3) % 2];
            var header = ContentSealerProperties.Header() with { HeaderBytes = new byte[i % 7 == 0 ? 900 : 54] };
            var id = DetectionId.New(header.ObservedAt);
            var blob = new byte[sealer.SealedLength(5)];
            sealer.Seal(id, header, "hello"u8, blob, scratch);
            Assert.True(SealedContent.TryOpen(sealer.Key, id, header, blob, out var plain, out var failure), $"record {i}: {failure}");
            Assert.Equal("hello"u8.ToArray(), plain);
            var other = sealers[1 - ((i / 3) % 2)].Key;
            Assert.False(ContentSealer.TryOpen(other, SealingContext.For(sealer.Key.Epoch, id, header), blob, out _, out _));
            Assert.True(nonces.Add(Convert.ToHexString(blob, 2, ContentSealer.Default.Algorithm == SealingAlgorithm.Aegis256 ? 32 : 24)));
        }
    }
}
