using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

public sealed class RetentionSweeperTests
{
    private static readonly ParticipantId Kyoto = new("kyoto-u");

    private static byte[] Marker(string what) => Encoding.ASCII.GetBytes($"MARKER-{what}-{Guid.NewGuid():N}");

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_after_expiry_the_sweep_leaves_no_marker_byte_anywhere_under_the_data_directory()
    {
        using var dir = new TempDir();
        // Acquired 2026-11-30T20:00Z = December in JST → gone from 2027-04-01T00:00+09:00.
        var acquired = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(acquired.AddMinutes(5));
        var markers = Enumerable.Range(0, 20).Select(i => Marker("content" + i)).ToList();
        var keyMarker = Marker("wrapped-key");
        var liveMarker = Marker("live");
        var keys = new WrappedKeyDirectory(dir.Path);
        foreach (var epoch in new[] { 7L, 8L })
        {
            Directory.CreateDirectory(keys.EpochDirectory(UTokyo, epoch));
            await File.WriteAllBytesAsync(Path.Combine(keys.EpochDirectory(UTokyo, epoch), "wrapped-rsa.bin"), epoch == 7 ? keyMarker : liveMarker);
        }

        using (var store = DetectionStore.Open(dir.Path, time: clock))
        await using (var history = OperationHistoryStore.Open(dir.Path, clock))
        {
            await store.AppendAsync(markers.Select((m, i) => Record(UTokyo, acquired.AddMinutes(i), epoch: 7, content: m)).ToList());
            // A later month that must survive, sealed under epoch 8.
            clock.SetUtcNow(new DateTimeOffset(2027, 2, 10, 0, 0, 0, TimeSpan.Zero));
            await store.AppendAsync(Record(UTokyo, clock.GetUtcNow(), epoch: 8, content: liveMarker));
            var sweeper = new RetentionSweeper(store, keys, history, clock);

            clock.SetUtcNow(new DateTimeOffset(2027, 3, 31, 23, 59, 59, TimeSpan.FromHours(9)));
            var early = await sweeper.SweepAsync();
            Assert.Empty(early.Partitions);
            Assert.All(markers, m => Assert.NotEmpty(FilesContaining(dir.Path, m)));

            clock.SetUtcNow(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)));
            var report = await sweeper.SweepAsync();
            Assert.Equal([new JstMonth(2026, 12)], report.Partitions.Select(p => p.Month));
            Assert.Equal([7L], report.EpochKeys.Select(k => k.Epoch));
        }

        foreach (var marker in markers.Append(keyMarker))
        {
            Assert.Empty(FilesContaining(dir.Path, marker));
        }

        Assert.NotEmpty(FilesContaining(dir.Path, liveMarker));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "detections", "u-tokyo", "2026-12")));
        var actions = OperationHistoryStore.ReadAll(dir.Path).Select(e => (e.Action, e.Subject)).ToList();
        Assert.Contains(("retention.partition.deleted", "detections/u-tokyo/2026-12"), actions);
        Assert.Contains(("keys.wrapped.deleted", "keys/u-tokyo/7"), actions);
        Assert.StartsWith("ok ", OperationHistoryStore.Verify(dir.Path).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task R6_4_sweeps_years_after_the_history_began_remove_no_entry_and_it_still_verifies_with_its_checkpoints()
    {
        using var dir = new TempDir();
        var start = new DateTimeOffset(2020, 1, 6, 0, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var acquired = start.AddMinutes(1);
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        await using (var history = OperationHistoryStore.Open(dir.Path, clock, 5))
        {
            for (var i = 0; i < 12; i++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                await history.AppendAsync("org:yamada", "portal.view", $"detections/u-tokyo/{i}", "six years ago");
            }

            await store.AppendAsync(Record(UTokyo, acquired, epoch: 1, content: Marker("old")));
            var sweeper = new RetentionSweeper(store, new WrappedKeyDirectory(dir.Path), history, clock);
            // A sweep a month later, then one each year for six years: the detections go (R7.3), the history stays (R6.4).
            clock.Advance(TimeSpan.FromDays(31));
            await sweeper.SweepAsync();
            for (var year = 0; year < 6; year++)
            {
                clock.Advance(TimeSpan.FromDays(366));
                await sweeper.SweepAsync();
            }

            Assert.Empty(store.Partitions());
        }

        var entries = OperationHistoryStore.ReadAll(dir.Path);
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(12, entries.Count(e => e.Details == "six years ago" && e.At < start.AddHours(1)));
        Assert.Contains(entries, e => e.Action == "retention.partition.deleted");
        var intact = Assert.IsType<Nii.Socs.Core.Audit.HistoryVerification.Intact>(OperationHistoryStore.Verify(dir.Path));
        Assert.Equal(entries.Count, intact.Entries);
        Assert.Equal(entries.Count, intact.SignedThrough);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_a_caller_instant_beyond_the_clock_cannot_make_a_sweep_delete_early()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero));
        using var store = DetectionStore.Open(dir.Path, time: clock);
        await using var history = OperationHistoryStore.Open(dir.Path, clock);
        await store.AppendAsync(Record(UTokyo, clock.GetUtcNow()));
        var sweeper = new RetentionSweeper(store, new WrappedKeyDirectory(dir.Path), history, clock);

        var future = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var dry = await sweeper.SweepAsync(future, dryRun: true);
        Assert.Single(dry.Partitions);
        Assert.Single(store.Partitions());

        var real = await sweeper.SweepAsync(future);
        Assert.Empty(real.Partitions);
        Assert.Equal(clock.GetUtcNow(), real.At);
        Assert.Single(store.Partitions());
    }

    [Fact]
    public async Task A_second_sweep_finds_nothing_and_an_interrupted_deletion_is_finished()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var marker = Marker("half-deleted");
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        {
            await store.AppendAsync([Record(UTokyo, clock.GetUtcNow()), Record(Kyoto, clock.GetUtcNow())]);
        }

        // A sweep that died after renaming a partition and removing part of it, and one that died deleting epoch 3's keys.
        var keys = new WrappedKeyDirectory(dir.Path);
        var halfKeys = Path.Combine(keys.Root, "kyoto-u", ".deleting-3");
        Directory.CreateDirectory(halfKeys);
        await File.WriteAllBytesAsync(Path.Combine(halfKeys, "wrapped.bin"), marker);
        var half = Path.Combine(dir.Path, "detections", "kyoto-u", ".deleting-2026-01");
        Directory.Move(Path.Combine(dir.Path, "detections", "kyoto-u", "2026-01"), half);
        await File.WriteAllBytesAsync(Path.Combine(half, "leftover.bin"), marker);

        clock.SetUtcNow(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        await using (var history = OperationHistoryStore.Open(dir.Path, clock))
        {
            Assert.Equal([(UTokyo, new JstMonth(2026, 1))], store.Partitions());
            var sweeper = new RetentionSweeper(store, keys, history, clock);
            var dry = await sweeper.SweepAsync(dryRun: true);
            Assert.Empty(dry.Resumed);
            Assert.True(Directory.Exists(halfKeys), "a dry run deletes nothing");
            var first = await sweeper.SweepAsync();
            Assert.Equal(["kyoto-u/2026-01"], first.Resumed);
            Assert.Single(first.Partitions);
            var second = await sweeper.SweepAsync();
            Assert.Empty(second.Partitions);
            Assert.Empty(second.Resumed);
            Assert.Empty(store.Partitions());
        }

        Assert.Empty(FilesContaining(dir.Path, marker));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(dir.Path, "detections", "kyoto-u")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(keys.Root, "kyoto-u")));
        Assert.Contains(OperationHistoryStore.ReadAll(dir.Path), e => e.Action == "keys.wrapped.deleted" && e.Subject == "keys/kyoto-u/3");
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_an_agreement_extends_the_partitions_acquired_after_it()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var schedule = new RetentionSchedule(RetentionPolicy.Default, [new RetentionAgreement(UTokyo, new RetentionPolicy(6), new DateOnly(2026, 1, 1))]);
        using var store = DetectionStore.Open(dir.Path, schedule, clock);
        await using var history = OperationHistoryStore.Open(dir.Path, clock);
        await store.AppendAsync([Record(UTokyo, clock.GetUtcNow()), Record(Kyoto, clock.GetUtcNow())]);
        var sweeper = new RetentionSweeper(store, new WrappedKeyDirectory(dir.Path), history, clock);
        clock.SetUtcNow(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.FromHours(9)));
        var report = await sweeper.SweepAsync();
        Assert.Equal([Kyoto], report.Partitions.Select(p => p.Participant));
        clock.SetUtcNow(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.FromHours(9)));
        report = await sweeper.SweepAsync();
        Assert.Equal([UTokyo], report.Partitions.Select(p => p.Participant));
    }
}
