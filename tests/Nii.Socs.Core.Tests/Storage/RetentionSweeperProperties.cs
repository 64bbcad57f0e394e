using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>The real sweeper on a real store: what is on disk after a sweep is exactly what has not expired.</summary>
public sealed class RetentionSweeperProperties
{
    private static readonly ParticipantId[] People = [new("u-tokyo"), new("kyoto-u")];

    [Property(MaxTest = 25)]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_a_sweep_never_deletes_a_partition_before_its_expiry_and_always_deletes_it_at_or_after()
    {
        var gen =
            from months in Gen.ListOf(from who in Gen.Elements(People) from m in Gen.Choose(0, 14) select (who, m: new JstMonth(2026, 1).Plus(m)))
            from agreementMonths in Gen.Elements<int?>(null, 0, 1, 6)
            from sweepMonth in Gen.Choose(1, 20)
            from shift in Gen.Elements(-1L, 0L, 3600L)
            select (partitions: months.Distinct().ToList(), agreementMonths, now: new JstMonth(2026, 1).Plus(sweepMonth).Start.AddSeconds(shift));
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            using var dir = new TempDir();
            var agreements = t.agreementMonths is { } n ? new[] { new RetentionAgreement(People[0], new RetentionPolicy(n), new DateOnly(2026, 4, 1)) } : [];
            var schedule = new RetentionSchedule(RetentionPolicy.Default, agreements);
            var clock = new FakeTimeProvider(new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero));
            using var store = DetectionStore.Open(dir.Path, schedule, clock);
            using var history = OperationHistoryStore.Open(dir.Path, clock);
            foreach (var (who, month) in t.partitions)
            {
                store.AppendAsync(Record(who, month.Start.AddDays(3))).GetAwaiter().GetResult();
            }

            clock.SetUtcNow(t.now);
            var sweeper = new RetentionSweeper(store, new WrappedKeyDirectory(dir.Path), history, clock);
            var report = sweeper.SweepAsync().GetAwaiter().GetResult();
            var left = store.Partitions().ToHashSet();
            var onDisk = t.partitions.Where(p => Directory.Exists(Path.Combine(dir.Path, "detections", p.who.Value, p.m.ToString()))).ToHashSet();
            var expected = t.partitions.Where(p => t.now < schedule.ExpiryOf(p.who, p.m)).ToHashSet();
            var again = sweeper.SweepAsync().GetAwaiter().GetResult();
            return left.SetEquals(expected).Label($"store keeps exactly the unexpired: kept {left.Count}, expected {expected.Count}")
                .And(onDisk.SetEquals(expected).Label("directories on disk are exactly the unexpired"))
                .And((report.Partitions.Count == t.partitions.Count - expected.Count).Label("report lists every deletion"))
                .And((again.Partitions.Count == 0).Label("a second sweep finds nothing"))
                .Classify(expected.Count == t.partitions.Count, "nothing due")
                .Classify(expected.Count == 0 && t.partitions.Count > 0, "everything due");
        });
    }
}
