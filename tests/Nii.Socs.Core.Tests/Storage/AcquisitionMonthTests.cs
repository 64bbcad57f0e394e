using System.Collections.Immutable;
using System.Net;
using MessagePack;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Time;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>R7.3: the partition is the month of acquisition, not of a sensor's clock; and what follows from it.</summary>
public sealed class AcquisitionMonthTests
{
    private static readonly DateTimeOffset December = new(2026, 12, 3, 1, 0, 0, TimeSpan.Zero);

    private static DetectionRecord Acquired(DateTimeOffset observed, DateTimeOffset acquired, Guid? id = null, long epoch = 1) =>
        Record(UTokyo, observed, epoch: epoch, id: id) with { AcquiredAt = acquired };

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_a_record_observed_in_2030_is_stored_in_its_acquisition_month_keeps_both_instants_and_is_flagged()
    {
        using var dir = new TempDir();
        var observed = new DateTimeOffset(2030, 6, 1, 3, 0, 0, TimeSpan.Zero);
        using (var store = DetectionStore.Open(dir.Path, time: new FakeTimeProvider(December)))
        {
            Assert.Equal(1, await store.AppendAsync([Acquired(observed, December)]));
            Assert.Equal([(UTokyo, new JstMonth(2026, 12))], store.Partitions());
        }

        using var reopened = DetectionStore.Open(dir.Path, time: new FakeTimeProvider(December));
        var page = await reopened.QueryAsync(new DetectionQuery { Participant = UTokyo, From = observed.AddDays(-1), To = observed.AddDays(1) });
        var back = Assert.Single(page.Records);
        Assert.Equal((observed, December), (back.Header.ObservedAt, back.AcquiredAt));
        Assert.True(back.ObservationSkewed);
    }

    [Theory]
    [Trait("Requirement", "R7.3")]
    [InlineData(0, false)]
    [InlineData(24 * 60, false)]
    [InlineData((24 * 60) + 1, true)]
    [InlineData(-92 * 24 * 60, false)]
    [InlineData((-92 * 24 * 60) - 1, true)]
    public void R7_3_observation_skew_is_flagged_beyond_24_hours_ahead_or_92_days_behind(int minutesAfterAcquisition, bool flagged)
    {
        Assert.Equal(flagged, ObservationSkew.IsFar(December.AddMinutes(minutesAfterAcquisition), December));
        Assert.Equal(flagged, Acquired(December.AddMinutes(minutesAfterAcquisition), December).ObservationSkewed);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_a_record_written_before_the_acquisition_field_reads_with_acquisition_equal_to_observation()
    {
        using var dir = new TempDir();
        var observed = new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero);
        var record = Acquired(observed, December);

        // The stored form as it was: the same array without its last element (key 22).
        var fields = MessagePackSerializer.Deserialize<object[]>(DetectionCodec.Encode(record), DetectionCodec.Options);
        Assert.Equal(23, fields.Length);
        var legacy = MessagePackSerializer.Serialize(fields[..22], DetectionCodec.Options);
        Assert.Equal(observed, DetectionCodec.Decode(legacy).AcquiredAt);

        var month = new JstMonth(2026, 11);
        // Written into the partition's log as the store wrote it then (the append path now encodes records itself).
        using (var log = FasterLogHandle.Open(Path.Combine(dir.Path, DetectionStore.DirectoryName, UTokyo.Value, month.ToString())))
        {
            log.Log.Enqueue(legacy);
            await log.EnsureCommittedAsync(log.Log.TailAddress, CancellationToken.None);
        }

        using var store = DetectionStore.Open(dir.Path, time: new FakeTimeProvider(December));
        var back = await store.FindAsync(UTokyo, record.Id);
        Assert.NotNull(back);
        Assert.Equal((observed, observed, false), (back!.Header.ObservedAt, back.AcquiredAt, back.ObservationSkewed));
        Assert.Equal(record.Header.Source, back.Header.Source);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_reingesting_in_a_later_month_finds_the_copy_acquired_earlier_also_after_reopening()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(December);
        var observed = December.AddMinutes(-5);
        var first = Enumerable.Range(0, 10).Select(i => Acquired(observed.AddSeconds(i), December)).ToList();
        var january = new DateTimeOffset(2027, 1, 20, 0, 0, 0, TimeSpan.Zero);
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        {
            Assert.Equal(10, await store.AppendAsync(first));
            clock.SetUtcNow(january);
            Assert.Equal(0, await store.AppendAsync([.. first.Select(r => r with { AcquiredAt = january })]));
        }

        using (var store = DetectionStore.Open(dir.Path, time: clock))
        {
            // Live traffic of January opens no other partition: December's metadata rules it out.
            Assert.True(await store.AppendAsync(Acquired(january, january)));
            Assert.Equal(1, store.PartitionsOpened);

            // The same file again in February: still found in December, which is opened for it.
            clock.SetUtcNow(january.AddMonths(1));
            Assert.Equal(0, await store.AppendAsync([.. first.Select(r => r with { AcquiredAt = january.AddMonths(1) })]));
            Assert.Equal([new JstMonth(2026, 12), new JstMonth(2027, 1)], store.Partitions().Select(p => p.Month));
            Assert.Equal(10, store.Stats(UTokyo, new JstMonth(2026, 12))!.Records);
        }
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Newest_first_paging_merges_partitions_whose_observation_ranges_interleave()
    {
        var random = new Random(1403);
        for (var trial = 0; trial < 12; trial++)
        {
            using var dir = new TempDir();
            var clock = new FakeTimeProvider(December);
            var all = new List<DetectionRecord>();
            using var store = DetectionStore.Open(dir.Path, time: clock);
            for (var month = 0; month < 3; month++)
            {
                var acquired = December.AddMonths(month);
                clock.SetUtcNow(acquired);
                var batch = Enumerable.Range(0, random.Next(0, 25))
                    .Select(_ => Acquired(December.AddMinutes(random.Next(-200_000, 200_000)), acquired, Guid.NewGuid()))
                    .ToList();
                await store.AppendAsync(batch);
                all.AddRange(batch);
            }

            var expected = all.OrderByDescending(r => r.Header.ObservedAt.UtcTicks).ThenByDescending(r => r.Id.Value).Select(r => r.Id).ToList();
            var seen = new List<DetectionId>();
            DetectionCursor? cursor = null;
            var limit = random.Next(1, 7);
            do
            {
                var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = DateTimeOffset.UnixEpoch, To = December.AddYears(1), Limit = limit, Cursor = cursor });
                seen.AddRange(page.Records.Select(r => r.Id));
                cursor = page.Next;
            }
            while (cursor is not null);

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_sweep_and_stats_read_partition_metadata_only_and_a_dirty_partition_is_opened_to_be_counted()
    {
        using var dir = new TempDir();
        var clock = new FakeTimeProvider(December);
        using (var store = DetectionStore.Open(dir.Path, time: clock))
        {
            for (var month = 0; month < 6; month++)
            {
                var acquired = December.AddMonths(month);
                clock.SetUtcNow(acquired);
                await store.AppendAsync([.. Enumerable.Range(0, 50).Select(i => Acquired(acquired.AddSeconds(i), acquired, epoch: month + 1))]);
            }
        }

        // A crash after the first append of a process leaves the newest partition's metadata dirty.
        PartitionMeta.Dirty.Write(Path.Combine(dir.Path, DetectionStore.DirectoryName, UTokyo.Value, "2027-05"));
        // 2027-04-01 JST: December's retention (3 months) has ended, the others not.
        var april = new FakeTimeProvider(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)));
        using (var store = DetectionStore.Open(dir.Path, time: april))
        await using (var history = OperationHistoryStore.Open(dir.Path, april))
        {
            Assert.All(store.Partitions(), p => Assert.Equal(50, store.Stats(p.Participant, p.Month)!.Records));
            Assert.Equal(1, store.PartitionsOpened);
            var report = await new RetentionSweeper(store, new WrappedKeyDirectory(dir.Path), history, april).SweepAsync();
            Assert.Equal([new JstMonth(2026, 12)], report.Partitions.Select(p => p.Month));
            Assert.Equal(1, store.PartitionsOpened);
        }
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_the_outbox_is_rewritten_without_expired_rows_physically_and_unsent_mails_left_empty_are_withdrawn()
    {
        using var dir = new TempDir();
        var november = new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero);
        NotificationRow Row(DateTimeOffset acquired, string source) =>
            NotificationRow.From(Record(UTokyo, new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero), source: source, sid: 9_400_001) with { AcquiredAt = acquired });
        var old = Row(november, "203.0.113.201");
        var young = Row(December, "203.0.113.202");
        OutboundMail Mail(long id, params NotificationRow[] rows) =>
            new(id, rows.Length > 1 ? MailKind.Digest : MailKind.Notification, UTokyo, ["soc@u-tokyo.example"], $"{id}.x@socs.invalid", null, [], november, [.. rows], rows.Length > 1 ? null : rows[0].Sid, "msg", null);
        using (var outbox = MailOutbox.Open(dir.Path))
        {
            await outbox.AppendAsync(
            [
                new MailQueued(november, Mail(1, old)),
                new MailSent(november, 1),
                new MailQueued(november, Mail(2, old)),
                new RowsDeferred(november, UTokyo, ["soc@u-tokyo.example"], [old, young]),
                new MailQueued(December, Mail(3, old, young)),
                new MailSent(December, 3),
            ]);
            Assert.Single(outbox.State.Pending);
            Assert.NotEmpty(FilesContaining(dir.Path, IPAddress.Parse("203.0.113.201").GetAddressBytes()));

            var schedule = RetentionSchedule.Default;
            var at = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9));
            var affected = ImmutableArray<OutboundMail>.Empty;
            var reduction = await outbox.PurgeAsync(r => schedule.IsExpired(r.Participant, JstMonth.Of(r.PartitionInstant), at), at, r => affected = r.AffectedMails);
            Assert.Equal((4, 1), (reduction.RowsRemoved, reduction.Withdrawn));
            Assert.Equal([1L, 2, 3], affected.Select(m => m.Id));
            Assert.Empty(outbox.State.Pending);
            Assert.Equal(3, outbox.State.LastMailId);
            Assert.Equal([young.Id], outbox.Events().OfType<MailQueued>().SelectMany(q => q.Mail.Rows).Select(r => r.Id));

            // Nothing more has ended: no rewrite.
            Assert.False((await outbox.PurgeAsync(r => schedule.IsExpired(r.Participant, JstMonth.Of(r.PartitionInstant), at), at)).Changed);
        }

        Assert.Empty(FilesContaining(dir.Path, IPAddress.Parse("203.0.113.201").GetAddressBytes()));
        Assert.NotEmpty(FilesContaining(dir.Path, IPAddress.Parse("203.0.113.202").GetAddressBytes()));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, MailOutbox.DirectoryName + ".old")));
        using var reopened = MailOutbox.Open(dir.Path);
        Assert.Equal(3, reopened.State.LastMailId);
        Assert.Empty(reopened.State.Pending);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_an_outbox_rewrite_interrupted_between_its_renames_is_finished_on_open()
    {
        using var dir = new TempDir();
        var at = December;
        var row = NotificationRow.From(Record(UTokyo, at));
        using (var outbox = MailOutbox.Open(dir.Path))
        {
            await outbox.AppendAsync([new RowsDeferred(at, UTokyo, ["a@b.example"], [row])]);
        }

        var live = Path.Combine(dir.Path, MailOutbox.DirectoryName);
        using (var other = MailOutbox.Open(Path.Combine(dir.Path, "x")))
        {
            await other.AppendAsync([new MailSent(at, 7)]);
        }

        // The state after the first rename: the old log moved aside, the new one complete beside it.
        Directory.Move(live, live + ".old");
        Directory.Move(Path.Combine(dir.Path, "x", MailOutbox.DirectoryName), live + ".next");
        using var reopened = MailOutbox.Open(dir.Path);
        Assert.IsType<MailSent>(Assert.Single(reopened.Events()));
        Assert.False(Directory.Exists(live + ".old"));
        Assert.False(Directory.Exists(live + ".next"));
    }
}
