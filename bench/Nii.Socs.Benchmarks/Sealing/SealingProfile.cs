using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using NSec.Cryptography;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Benchmarks.Sealing;

/// <summary>`sealing --profile`: what one AEGIS-256 seal of 64 bytes costs, part by part (thread CPU time per call, median
/// (min–max) of 7 rounds; every line includes the harness's own cost, printed as "empty action").</summary>
internal static class SealingProfile
{
    public static void Run(Func<Action, double> time)
    {
        var epoch = new EpochId(new ParticipantId("u-tokyo"), 2969);
        var header = SealingBenchmark.SampleHeader();
        using var key = EpochKey.Create(epoch);
        var id = DetectionId.New(header.ObservedAt);
        var context = SealingContext.For(epoch, id, header);
        var aad = context.AssociatedData.ToArray();
        var aead = AeadAlgorithm.Aegis256;
        var rawKey = key.AeadKey(aead);
        var plaintext = RandomNumberGenerator.GetBytes(64);
        var output = new byte[200];
        var nonce = new byte[32];
        var block = new byte[4096];
        var at = block.Length;
        var sealer = new ContentSealer(SealingAlgorithm.Aegis256);
        var epochSealer = new EpochSealer(sealer, key);
        var prefix = SealingContext.PrefixOf(epoch);
        var scratch = new byte[512];
        var dict = new Dictionary<ParticipantId, EpochSealer> { [epoch.Participant] = epochSealer };
        void P(string name, Action a)
        {
            a();
            var t = new double[7];
            for (var i = 0; i < 7; i++)
            {
                t[i] = time(a);
            }

            Array.Sort(t);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-50} {t[3],8:F1} ns ({t[0]:F1}–{t[6]:F1})"));
        }

        P("AEAD call alone (fixed nonce, same AAD)", () => aead.Encrypt(rawKey, nonce, aad, plaintext, output.AsSpan(0, 96)));
        P("AEAD call, nonce and output inside one blob", () => aead.Encrypt(rawKey, output.AsSpan(2, 32), aad, plaintext, output.AsSpan(34, 96)));
        foreach (var size in new[] { 64, 1024 })
        {
            // Writing each blob to memory the core did not write just before: the AEAD call alone into one reused buffer
            // (as the raw reference), then into slab memory laid out as Ingestor.Sealers does: blobs one after another,
            // a batch of Ingestor.BatchSize blobs in slabs of its own, two batches' slabs alternating (one in flight).
            var content = RandomNumberGenerator.GetBytes(size);
            var blobLength = 2 + 32 + size + 32;
            var reused = new byte[blobLength];
            P($"AEAD call alone, {size} B, into one reused buffer", () => aead.Encrypt(rawKey, nonce, aad, content, reused.AsSpan(34, size + 32)));
            var perBatch = (int)Math.Ceiling((double)Nii.Socs.Host.Pipeline.Ingestor.BatchSize * blobLength / Nii.Socs.Host.Pipeline.Ingestor.Sealers.SlabSize);
            var ring = Enumerable.Range(0, 2 * perBatch).Select(_ => GC.AllocateUninitializedArray<byte>(Nii.Socs.Host.Pipeline.Ingestor.Sealers.SlabSize)).ToArray();
            int slab = 0, batchStart = 0, into = 0, count = 0;
            P($"AEAD call alone, {size} B, into slab memory", () =>
            {
                if (into + blobLength > ring[slab].Length)
                {
                    slab++;
                    into = 0;
                }

                aead.Encrypt(rawKey, nonce, aad, content, ring[slab].AsSpan(into + 34, size + 32));
                into += blobLength;
                if (++count == Nii.Socs.Host.Pipeline.Ingestor.BatchSize)
                {
                    count = 0;
                    into = 0;
                    batchStart = (batchStart + perBatch) % ring.Length;
                    slab = batchStart;
                }
            });
        }

        P("nonce from a local 4 KiB block (the raw reference)", () =>
        {
            if (at + 32 > block.Length)
            {
                RandomNumberGenerator.Fill(block);
                at = 0;
            }

            block.AsSpan(at, 32).CopyTo(nonce);
            at += 32;
        });
        P("raw reference: nonce from a local block + AEAD call", () =>
        {
            if (at + 32 > block.Length)
            {
                RandomNumberGenerator.Fill(block);
                at = 0;
            }

            block.AsSpan(at, 32).CopyTo(nonce);
            at += 32;
            aead.Encrypt(rawKey, nonce, aad, plaintext, output.AsSpan(0, 96));
        });
        P("nonce: KeyMaterial.FillNonce (thread-static block)", () => KeyMaterial.FillNonce(nonce));
        P("RandomNumberGenerator.Fill of 4 KiB (per 128 nonces)", () => RandomNumberGenerator.Fill(block));
        P("EpochKey.AeadKey lookup", () => key.AeadKey(aead));
        P("participant dictionary lookup", () => dict.TryGetValue(epoch.Participant, out _));
        P("AAD layout: epoch prefix + id + canonical header", () =>
        {
            prefix.CopyTo(scratch, 0);
            id.Value.TryWriteBytes(scratch.AsSpan(prefix.Length, 16), bigEndian: true, out _);
            header.WriteCanonical(scratch.AsSpan(prefix.Length + 16));
        });
        P("header.WriteCanonical", () => header.WriteCanonical(scratch));
        P("empty action", () => { });
        P("AAD: record id", () => id.Value.TryWriteBytes(scratch.AsSpan(prefix.Length, 16), bigEndian: true, out _));
        P("ContentSealer.Seal (SealingContext prebuilt)", () => sealer.Seal(key, context, plaintext, output));
        P("EpochSealer.Seal (thread-static scratch)", () => epochSealer.Seal(id, header, plaintext, output));
        var ownScratch = new SealingScratch();
        P("EpochSealer.Seal with a scratch", () => epochSealer.Seal(id, header, plaintext, output, ownScratch));
        var nsecKey = sealer.AeadKeyOf(key);
        P("ContentSealer.SealTrusted (AAD prebuilt, NonceBlock)", () => sealer.SealTrusted(nsecKey, aad, plaintext, output, ownScratch.Nonces));
        P("AAD layout, then ContentSealer.SealTrusted with it", () =>
        {
            prefix.CopyTo(scratch, 0);
            id.Value.TryWriteBytes(scratch.AsSpan(prefix.Length, 16), bigEndian: true, out _);
            header.WriteCanonical(scratch.AsSpan(prefix.Length + 16));
            sealer.SealTrusted(nsecKey, scratch.AsSpan(0, aad.Length), plaintext, output, ownScratch.Nonces);
        });
        var copied = new byte[512];
        P("AAD copied from a prebuilt one, then SealTrusted", () =>
        {
            aad.CopyTo(copied, 0);
            sealer.SealTrusted(nsecKey, copied.AsSpan(0, aad.Length), plaintext, output, ownScratch.Nonces);
        });
        P("nonce: NonceBlock.Fill (the ingest path)", () => ownScratch.Nonces.Fill(nonce));
        var sealers = new Nii.Socs.Host.Pipeline.Ingestor.Sealers(sealer);
        var inFlight = Nii.Socs.Host.Pipeline.Ingestor.SealedSlabs.None;
        var inBatch = 0;
        P("Ingestor.Sealers.Seal, batches released one behind", () =>
        {
            sealers.Seal(key, id, header, plaintext);
            if (++inBatch >= Nii.Socs.Host.Pipeline.Ingestor.BatchSize)
            {
                sealers.Release(inFlight);
                inFlight = sealers.CloseBatch();
                inBatch = 0;
            }
        });
    }
}
