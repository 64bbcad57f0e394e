using System.Net;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage;

public sealed class DetectionStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    private static FakeTimeProvider Clock() => new(T0.AddDays(20));

    [Fact]
    public async Task Appended_records_survive_reopen_and_are_found_by_id()
    {
        using var dir = new TempDir();
        var records = Enumerable.Range(0, 50).Select(i => Record(UTokyo, T0.AddMinutes(i), content: [1, 2, (byte)i])).ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            Assert.Equal(50, await store.AppendAsync(records));
        }

        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            foreach (var record in records)
            {
                var found = await store.FindAsync(UTokyo, record.Id);
                Assert.NotNull(found);
                Assert.Equal(record.Id, found.Id);
                Assert.Equal(record.SealedContent.ToArray(), found.SealedContent.ToArray());
                Assert.Equal(record.Header.ToCanonicalBytes(), found.Header.ToCanonicalBytes());
                Assert.Equal(record.Rule, found.Rule);
                Assert.Equal(record.Epoch, found.Epoch);
            }

            Assert.Null(await store.FindAsync(UTokyo, DetectionId.New(T0)));
            Assert.Null(await store.FindAsync(new("kyoto-u"), records[0].Id));
        }
    }

    [Fact]
    [Trait("Requirement", "R4.4")]
    public async Task A_record_whose_id_is_already_stored_is_not_stored_again_within_a_call_across_calls_and_after_reopen()
    {
        using var dir = new TempDir();
        var source = new byte[] { 1, 2, 3 };
        var records = Enumerable.Range(0, 40)
            .Select(i => Record(UTokyo, T0.AddSeconds(i), content: [(byte)i], id: DetectionId.FromSource(T0.AddSeconds(i), [.. source, (byte)i]).Value))
            .ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            Assert.Equal(20, await store.AppendAsync([.. records.Take(20), .. records.Take(20)]));
            var concurrent = await Task.WhenAll(store.AppendAsync(records), store.AppendAsync(records));
            Assert.Equal(20, concurrent.Sum());
        }

        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            Assert.Equal(0, await store.AppendAsync(records));
            Assert.Equal(40, store.Stats(UTokyo, JstMonth.Of(T0))!.Records);
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0.AddDays(-1), To = T0.AddDays(1) });
            Assert.Equal(records.Select(r => r.Id).OrderBy(i => i.Value), page.Records.Select(r => r.Id).OrderBy(i => i.Value));
        }
    }

    [Fact]
    public async Task Record_observed_late_utc_on_the_last_day_goes_to_the_next_JST_month()
    {
        using var dir = new TempDir();
        using var store = DetectionStore.Open(dir.Path, time: Clock());
        await store.AppendAsync(Record(UTokyo, new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero)));
        Assert.Equal([(UTokyo, new JstMonth(2026, 12))], store.Partitions());
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "detections", "u-tokyo", "2026-12")));
    }

    [Fact]
    public async Task Pages_are_newest_first_across_months_without_repeats_or_gaps()
    {
        using var dir = new TempDir();
        using var store = DetectionStore.Open(dir.Path, time: Clock());
        var start = new DateTimeOffset(2026, 9, 20, 0, 0, 0, TimeSpan.Zero);
        // Several records share an instant, so ties must be broken by id; appended out of order.
        var records = Enumerable.Range(0, 300).Select(i => Record(UTokyo, start.AddHours(i / 3 * 5), id: Guid.NewGuid())).Reverse().ToList();
        await store.AppendAsync(records.Take(150).ToList());
        await store.AppendAsync(records.Skip(150).ToList());
        Assert.True(store.Partitions().Count >= 2);

        var expected = records.OrderByDescending(r => r.Header.ObservedAt.UtcTicks).ThenByDescending(r => r.Id.Value).Select(r => r.Id).ToList();
        var seen = new List<DetectionId>();
        DetectionCursor? cursor = null;
        do
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = start, To = start.AddYears(1), Limit = 7, Cursor = cursor });
            Assert.True(page.Records.Count <= 7);
            seen.AddRange(page.Records.Select(r => r.Id));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Range_is_half_open_and_filters_by_rule_and_address()
    {
        using var dir = new TempDir();
        using var store = DetectionStore.Open(dir.Path, time: Clock());
        await store.AppendAsync([
            Record(UTokyo, T0, sid: 1),
            Record(UTokyo, T0.AddMinutes(1), sid: 2, source: "203.0.113.9"),
            Record(UTokyo, T0.AddMinutes(2), sid: 1, destination: "2001:db8::1"),
            Record(UTokyo, T0.AddMinutes(3), sid: 1),
        ]);

        var all = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddMinutes(3) });
        Assert.Equal(3, all.Records.Count);
        Assert.Null(all.Next);

        var bySid = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddHours(1), RuleSid = 2 });
        Assert.Single(bySid.Records);
        Assert.Equal(2, bySid.Records[0].Rule.Sid);

        var byAddress = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddHours(1), Address = IPAddress.Parse("2001:db8::1") });
        Assert.Single(byAddress.Records);
        var bySource = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddHours(1), Address = IPAddress.Parse("203.0.113.9") });
        Assert.Single(bySource.Records);
        var other = await store.QueryAsync(new DetectionQuery { Participant = new("kyoto-u"), From = T0, To = T0.AddHours(1) });
        Assert.Empty(other.Records);
    }

    [Fact]
    public async Task Concurrent_single_appends_are_all_acknowledged_and_indexed()
    {
        using var dir = new TempDir();
        var records = Enumerable.Range(0, 400).Select(i => Record(UTokyo, T0.AddSeconds(i))).ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var results = await Task.WhenAll(records.Select(r => Task.Run(() => store.AppendAsync(r))));
            Assert.All(results, Assert.True);
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddDays(1), Limit = 1000 });
            Assert.Equal(400, page.Records.Count);
        }

        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddDays(1), Limit = 1000 });
            Assert.Equal(400, page.Records.Count);
        }
    }

    [Fact]
    public async Task Lost_sidecar_is_rebuilt_from_the_log()
    {
        using var dir = new TempDir();
        var records = Enumerable.Range(0, 30).Select(i => Record(UTokyo, T0.AddMinutes(i))).ToList();
        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            await store.AppendAsync(records);
        }

        var sidecar = Path.Combine(dir.Path, "detections", "u-tokyo", "2026-11", "index.bin");
        // Keep 10 whole entries and half of the 11th, as a crash in the middle of a sidecar write would.
        using (var file = new FileStream(sidecar, FileMode.Open))
        {
            file.SetLength((10 * 56) + 20);
        }

        using (var store = DetectionStore.Open(dir.Path, time: Clock()))
        {
            var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddDays(1), Limit = 100 });
            Assert.Equal(records.Select(r => r.Id).Reverse(), page.Records.Select(r => r.Id));
        }

        Assert.Equal(30 * 56, new FileInfo(sidecar).Length);
    }

    [Fact]
    public async Task Records_of_an_already_expired_month_are_not_stored()
    {
        using var dir = new TempDir();
        // 2026-07 (JST) expires 2026-11-01T00:00+09:00 under the default; the clock says 2026-11-30.
        using var store = DetectionStore.Open(dir.Path, time: Clock());
        Assert.False(await store.AppendAsync(Record(UTokyo, new DateTimeOffset(2026, 7, 15, 0, 0, 0, TimeSpan.Zero))));
        Assert.True(await store.AppendAsync(Record(UTokyo, new DateTimeOffset(2026, 8, 15, 0, 0, 0, TimeSpan.Zero))));
        Assert.Equal([(UTokyo, new JstMonth(2026, 8))], store.Partitions());
    }
}
