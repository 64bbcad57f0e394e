using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>The ingest path's sealers reuse a batch's slabs once the batch is done (issue #16): blobs still in use are
/// never overwritten, and sealing allocates nothing per record.</summary>
public sealed class SealersSlabReuseTests
{
    private static readonly ParticipantId[] s_participants = [new("u-tokyo"), new("kyoto-u"), new("nii")];

    private static readonly DetectionHeader s_header = new()
    {
        ObservedAt = new DateTimeOffset(2026, 12, 1, 3, 4, 5, TimeSpan.Zero),
        Source = IPAddress.Parse("192.0.2.10"),
        Destination = IPAddress.Parse("2001:db8::7"),
        Protocol = 6,
        SourcePort = 51515,
        DestinationPort = 443,
        TcpFlags = 0x18,
        CapturedLength = 1514,
        WireLength = 1514,
        ContentLength = 1460,
        HeaderBytes = Enumerable.Range(0, 54).Select(i => (byte)i).ToArray(),
    };

    private sealed record Sealed(EpochKey Key, DetectionId Id, DetectionHeader Header, ReadOnlyMemory<byte> Blob, byte[] Content);

    // One record to seal: which participant, how long its content is, a seed for its bytes, and whether its participant's
    // key is rotated before it (a new epoch key, so a new epoch sealer, while blobs of the old key are still in flight).
    private static Gen<(int Participant, int Length, int Seed, bool Rotate)> Records =>
        from participant in Gen.Choose(0, s_participants.Length - 1)
        from length in Gen.Frequency(
            (12, Gen.Choose(1, 3000)),
            (4, Gen.Choose(3000, 70_000)),
            (1, Gen.Constant(Ingestor.Sealers.SlabSize + 1)))
        from seed in ArbMap.Default.GeneratorFor<int>()
        from rotate in Gen.Frequency((15, Gen.Constant(false)), (1, Gen.Constant(true)))
        select (participant, length, seed, rotate);

    [Property(MaxTest = 40)]
    [Trait("Requirement", "R7.1")]
    public Property R7_1_blobs_sealed_into_reused_slabs_open_to_the_content_of_the_straightforward_path_across_batches()
    {
        var gen = from count in Gen.Choose(3, 8)
                  from list in Gen.ArrayOf(Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Records, n)), count)
                  select list;
        return Prop.ForAll(gen.ToArbitrary(), plan =>
        {
            var keys = new Dictionary<ParticipantId, EpochKey>();
            var allKeys = new List<EpochKey>();
            EpochKey KeyOf(int index, bool rotate)
            {
                var participant = s_participants[index];
                if (rotate || !keys.TryGetValue(participant, out var key))
                {
                    key = EpochKey.Create(new EpochId(participant, 2969 + allKeys.Count));
                    keys[participant] = key;
                    allKeys.Add(key);
                }

                return key;
            }

            try
            {
                // Driven as Ingestor.ConsumeAsync drives it: a batch is sealed while the one before it is in flight; the one
                // before is then completed (here: every blob checked) and released, and the new one closed.
                var sealers = new Ingestor.Sealers();
                var inFlight = (Records: new List<Sealed>(), Slabs: Ingestor.SealedSlabs.None);
                var failures = new List<string>();
                var number = 0;
                foreach (var batch in plan)
                {
                    number++;
                    var records = new List<Sealed>();
                    foreach (var (participant, length, seed, rotate) in batch)
                    {
                        var key = KeyOf(participant, rotate);
                        var content = new byte[length];
                        for (var i = 0; i < content.Length; i++)
                        {
                            content[i] = (byte)(seed + (i * 31) + (i >> 8));
                        }

                        var id = DetectionId.New(s_header.ObservedAt);
                        records.Add(new Sealed(key, id, s_header, sealers.Seal(key, id, s_header, content), content));
                    }

                    Check(inFlight.Records, $"batch {number - 1}, checked after batch {number} was sealed", failures);
                    sealers.Release(inFlight.Slabs);
                    var slabs = sealers.CloseBatch();
                    inFlight = (records, slabs);
                }

                Check(inFlight.Records, "the last batch", failures);
                return (failures.Count == 0).Label(string.Join("; ", failures.Take(3)))
                    .Classify(sealers.SlabsReused > 0, "slabs sealed into again after a release")
                    .Classify(plan.SelectMany(b => b).Any(r => r.Rotate), "a key rotated between records");
            }
            finally
            {
                foreach (var key in allKeys)
                {
                    key.Dispose();
                }
            }
        });
    }

    // Every record opens with its own key and context, to the content it was sealed from, as the blob of the
    // straightforward path (SealedContent.Seal, a new array per record) does; and both blobs have the same shape.
    private static void Check(List<Sealed> records, string when, List<string> failures)
    {
        foreach (var record in records)
        {
            var context = SealingContext.For(record.Key.Epoch, record.Id, record.Header);
            var straightforward = SealedContent.Seal(record.Key, record.Id, record.Header, record.Content);
            if (!ContentSealer.TryOpen(record.Key, context, record.Blob.Span, out var plain, out var failure))
            {
                failures.Add($"{when}: a {record.Content.Length}-byte record does not open ({failure})");
            }
            else if (!SealedContent.TryOpen(record.Key, record.Id, record.Header, straightforward, out var expected, out _) || !plain.AsSpan().SequenceEqual(expected))
            {
                failures.Add($"{when}: a {record.Content.Length}-byte record opens to other content than the straightforward path's");
            }
            else if (record.Blob.Length != straightforward.Length || !record.Blob.Span[..2].SequenceEqual(straightforward.AsSpan(0, 2)))
            {
                failures.Add($"{when}: the blob's length or header differs from the straightforward path's");
            }
        }
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void Sealing_a_batch_allocates_nothing_per_record_once_slabs_are_reused()
    {
        using var key = EpochKey.Create(new EpochId(s_participants[0], 2969));
        var sealers = new Ingestor.Sealers();
        var content = new byte[1024];
        var id = DetectionId.New(s_header.ObservedAt);
        var inFlight = Ingestor.SealedSlabs.None;

        // One batch as the ingestor seals it: records, then the batch before released and this one closed.
        long Batch(int records)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < records; i++)
            {
                sealers.Seal(key, id, s_header, content);
            }

            sealers.Release(inFlight);
            inFlight = sealers.CloseBatch();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Warm up: the first batches take new slabs (and the JIT its code), later ones get released slabs back.
        for (var i = 0; i < 4; i++)
        {
            Batch(Ingestor.BatchSize);
        }

        var few = Batch(8);
        var full = Batch(Ingestor.BatchSize);
        var again = Batch(Ingestor.BatchSize);

        // What is left is per batch (the closed batch's slab list), the same for 8 records as for 256: one allocation of
        // even 24 bytes per record would add over 6 KB to a full batch.
        Assert.True(full < 512, $"a batch of {Ingestor.BatchSize} 1 KiB records allocated {full} bytes");
        Assert.True(again < 512, $"a batch of {Ingestor.BatchSize} 1 KiB records allocated {again} bytes");
        Assert.True(full - few < 128, $"{full} bytes for {Ingestor.BatchSize} records against {few} for 8");
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task R7_1_every_batch_offered_after_its_commit_opens_while_later_batches_are_sealed_into_its_slabs()
    {
        // A real ingest of several batches: each batch the ingestor offers after its commit must still open, with the
        // participant's key, although the batch after it was sealed meanwhile and its own slabs are sealed into again
        // afterwards. A slab released when its batch's append starts instead of after its commit fails here.
        var root = Directory.CreateTempSubdirectory("socs-slabs-").FullName;
        try
        {
            var dir = Path.Combine(root, "data");
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero));
            await ServiceKit.CreateDataAsync(dir, time);
            var capture = Path.Combine(root, "many.pcap");
            ServiceKit.WriteCapture(capture, 60, 9000, time.GetUtcNow());
            await using var data = SocsData.Open(dir, time);
            var rules = RuleSet.Load(Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, time.GetUtcNow())));
            var batches = 0;
            var opened = 0;
            var withContent = 0;
            var failures = new List<string>();
            var result = await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(capture, (records, ct) =>
            {
                batches++;
                foreach (var record in records.Where(r => !r.SealedContent.IsEmpty))
                {
                    withContent++;
                    Assert.True(data.Ring.TryCurrent(record.Participant, out var key));
                    if (SealedContent.TryOpen(key!, record, out _, out var failure))
                    {
                        opened++;
                    }
                    else
                    {
                        failures.Add($"batch {batches}: {record.Id} {failure}");
                    }
                }

                return Task.CompletedTask;
            });

            Assert.Empty(failures);
            Assert.True(batches >= 4, $"only {batches} batches: the test needs slabs released and sealed into again");
            Assert.True(opened > 0 && opened == withContent, $"{opened} of {withContent} sealed records opened ({result.Stored} stored)");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
