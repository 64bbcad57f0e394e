using MessagePack;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Storage;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>The append path of issue #16: records encoded into a reused buffer, indexed from what was encoded, the
/// sidecar written per commit; the stored format unchanged.</summary>
public sealed class DetectionAppendPathTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    private static FakeTimeProvider Clock() => new(T0.AddDays(20));

    /// <summary>The encoder before issue #16: the MessagePack contract serializer over <see cref="StoredDetection"/>.</summary>
    internal static byte[] ContractEncode(DetectionRecord record)
    {
        var id = new byte[16];
        record.Id.Value.TryWriteBytes(id, bigEndian: true, out _);
        var header = record.Header;
        var dto = new StoredDetection
        {
            Schema = StoredDetection.CurrentSchema,
            Id = id,
            Participant = record.Participant.Value,
            Epoch = record.Epoch.Index,
            ObservedAtUtcTicks = header.ObservedAt.UtcTicks,
            Source = header.Source.GetAddressBytes(),
            Destination = header.Destination.GetAddressBytes(),
            Protocol = header.Protocol,
            SourcePort = header.SourcePort ?? -1,
            DestinationPort = header.DestinationPort ?? -1,
            TcpFlags = header.TcpFlags ?? -1,
            CapturedLength = header.CapturedLength,
            WireLength = header.WireLength,
            ContentLength = header.ContentLength,
            HeaderBytes = header.HeaderBytes.ToArray(),
            RuleSid = record.Rule.Sid,
            RuleRev = record.Rule.Rev,
            RuleMessage = record.Rule.Message,
            RuleClassType = record.Rule.ClassType,
            RulePriority = record.Rule.Priority,
            DetectionSource = (int)record.Source,
            SealedContent = record.SealedContent.ToArray(),
            AcquiredAtUtcTicks = record.AcquiredAt.UtcTicks,
        };
        return MessagePackSerializer.Serialize(dto, DetectionCodec.Options);
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Concurrent_batch_appends_leave_a_sidecar_in_log_order_equal_to_one_rebuilt_by_parsing_the_log()
    {
        using var dir = new TempDir();
        var batches = Enumerable.Range(0, 8)
            .Select(b => Enumerable.Range(0, 300).Select(i => Record(UTokyo, T0.AddSeconds((i * 8) + b), epoch: b % 3, sid: i % 7, content: new byte[(i * 13) % 700])).ToList())
            .ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var stored = await Task.WhenAll(batches.Select(batch => Task.Run(() => store.AppendAsync(batch))));
            Assert.All(stored, n => Assert.Equal(300, n));
            Assert.Equal([0L, 1L, 2L], store.EpochsOf(UTokyo, new Core.Time.JstMonth(2026, 11)).Order());
        }

        var sidecar = Path.Combine(dir.Path, "detections", "u-tokyo", "2026-11", DetectionPartition.IndexFileName);
        var written = File.ReadAllBytes(sidecar);
        Assert.Equal(8 * 300 * IndexEntry.Size, written.Length);
        var addresses = Enumerable.Range(0, written.Length / IndexEntry.Size).Select(i => IndexEntry.Read(written.AsSpan(i * IndexEntry.Size)).Address).ToList();
        Assert.Equal(addresses.Order(), addresses);

        // Rebuilt from the log by scanning and parsing every record: byte for byte the sidecar the appends wrote.
        File.Delete(sidecar);
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddDays(1), Limit = DetectionQuery.MaxLimit });
            Assert.Equal(Math.Min(2400, DetectionQuery.MaxLimit), page.Records.Count);
        }

        Assert.Equal(written, File.ReadAllBytes(sidecar));
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task A_partition_written_by_the_contract_encoder_opens_reads_back_and_takes_new_appends()
    {
        using var dir = new TempDir();
        var old = Enumerable.Range(0, 50).Select(i => Record(UTokyo, T0.AddMinutes(i), sid: i, content: [(byte)i, 1, 2, 3])).ToList();
        var partition = Path.Combine(dir.Path, DetectionStore.DirectoryName, "u-tokyo", "2026-11");
        using (var log = FasterLogHandle.Open(partition))
        {
            foreach (var record in old)
            {
                log.Log.Enqueue(ContractEncode(record));
            }

            await log.EnsureCommittedAsync(log.Log.TailAddress, CancellationToken.None);
        }

        var fresh = Enumerable.Range(50, 50).Select(i => Record(UTokyo, T0.AddMinutes(i), sid: i, content: [(byte)i, 9])).ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            Assert.Equal(50, await store.AppendAsync(fresh.Concat(old).ToList()));
        }

        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddDays(1), Limit = 1000 });
            var expected = old.Concat(fresh).Reverse().ToList();
            Assert.Equal(expected.Select(r => r.Id), page.Records.Select(r => r.Id));
            Assert.All(expected.Zip(page.Records), p =>
            {
                Assert.Equal(p.First.Rule, p.Second.Rule);
                Assert.Equal(p.First.SealedContent.ToArray(), p.Second.SealedContent.ToArray());
                Assert.Equal(p.First.Header.ToCanonicalBytes(), p.Second.Header.ToCanonicalBytes());
            });
        }
    }
}
