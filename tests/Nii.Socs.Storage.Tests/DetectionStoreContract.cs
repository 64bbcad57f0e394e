using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>What every <see cref="IDetectionStore"/> must do; run against FASTER and against the PostgreSQL cluster.</summary>
public abstract class DetectionStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Clock { get; } = new(T0.AddDays(20));

    private protected IDetectionStore Store { get; private set; } = null!;

    private protected abstract Task<IDetectionStore> OpenAsync(FakeTimeProvider clock);

    protected abstract Task CleanupAsync();

    public async Task InitializeAsync() => Store = await OpenAsync(Clock);

    public async Task DisposeAsync()
    {
        Store.Dispose();
        await CleanupAsync();
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Appended_records_are_found_by_id_with_every_field_and_only_under_their_participant()
    {
        var records = Enumerable.Range(0, 30).Select(i => Record(UTokyo, T0.AddMinutes(i), epoch: 1 + (i % 3), content: [1, 2, (byte)i])).ToList();
        Assert.Equal(30, await Store.AppendAsync(records));
        foreach (var record in records)
        {
            var found = await Store.FindAsync(UTokyo, record.Id);
            Assert.NotNull(found);
            Assert.Equal(record.Id, found.Id);
            Assert.Equal(record.Participant, found.Participant);
            Assert.Equal(record.Epoch, found.Epoch);
            Assert.Equal(record.Rule, found.Rule);
            Assert.Equal(record.Header.ToCanonicalBytes(), found.Header.ToCanonicalBytes());
            Assert.Equal(record.SealedContent.ToArray(), found.SealedContent.ToArray());
        }

        Assert.Null(await Store.FindAsync(Kyoto, records[0].Id));
        Assert.Null(await Store.FindAsync(UTokyo, DetectionId.New(T0)));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task A_future_dated_record_is_kept_in_its_acquisition_month_and_reads_back_acquired_and_flagged()
    {
        var acquired = T0.AddDays(3);
        var record = Record(UTokyo, new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero)) with { AcquiredAt = acquired };
        Assert.True(record.ObservationSkewed);
        Assert.True(await Store.AppendAsync(record));

        Assert.Equal([(UTokyo, JstMonth.Of(acquired))], Store.Partitions());
        var found = await Store.FindAsync(UTokyo, record.Id);
        Assert.NotNull(found);
        Assert.Equal(acquired, found.AcquiredAt);
        Assert.Equal(record.Header.ObservedAt, found.Header.ObservedAt);
        Assert.True(found.ObservationSkewed);
    }

    [Fact]
    [Trait("Requirement", "R4.4")]
    public async Task A_record_id_is_stored_once_within_a_call_across_calls_and_under_concurrent_calls()
    {
        var records = Enumerable.Range(0, 40).Select(i => Record(UTokyo, T0.AddSeconds(i), content: [(byte)i])).ToList();
        Assert.Equal(20, await Store.AppendAsync([.. records.Take(20), .. records.Take(20)]));
        var concurrent = await Task.WhenAll(Store.AppendAsync(records), Store.AppendAsync(records));
        Assert.Equal(20, concurrent.Sum());
        Assert.Equal(0, await Store.AppendAsync(records));
        Assert.Equal(40, Store.Stats(UTokyo, JstMonth.Of(T0))!.Records);
        Assert.False(await Store.AppendAsync(records[0]));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task A_record_acquired_late_UTC_on_the_last_day_goes_to_the_next_JST_month()
    {
        Assert.True(await Store.AppendAsync(Record(UTokyo, new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero))));
        Assert.True(await Store.AppendAsync(Record(Kyoto, new DateTimeOffset(2026, 11, 30, 14, 59, 59, TimeSpan.Zero))));
        Assert.Equal([(Kyoto, new JstMonth(2026, 11)), (UTokyo, new JstMonth(2026, 12))], Store.Partitions());
        Assert.Equal(1, Store.Stats(UTokyo, new JstMonth(2026, 12))!.Records);
        Assert.Null(Store.Stats(UTokyo, new JstMonth(2026, 11)));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task A_record_whose_partition_is_past_expiry_is_not_stored()
    {
        Clock.SetUtcNow(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.FromHours(9)));
        var expired = Record(UTokyo, new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero));
        var live = Record(UTokyo, new DateTimeOffset(2027, 2, 15, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await Store.AppendAsync([expired, live]));
        Assert.Null(await Store.FindAsync(UTokyo, expired.Id));
        Assert.NotNull(await Store.FindAsync(UTokyo, live.Id));
        Assert.Equal([(UTokyo, new JstMonth(2027, 2))], Store.Partitions());
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Pages_are_newest_first_across_months_without_repeats_or_gaps_even_when_instants_tie()
    {
        var records = new List<DetectionRecord>();
        for (var i = 0; i < 45; i++)
        {
            // Three records per instant, spread over three JST months, with random v4 ids so ties order by id.
            var at = T0.AddDays(-50).AddHours(i / 3 * 70);
            records.Add(Record(UTokyo, at, id: Guid.NewGuid()));
        }

        records.Add(Record(Kyoto, T0));
        await Store.AppendAsync(records);
        var expected = records.Where(r => r.Participant == UTokyo)
            .OrderByDescending(r => r.Header.ObservedAt.UtcTicks).ThenByDescending(r => r.Id.Value).Select(r => r.Id).ToList();
        var seen = new List<DetectionId>();
        DetectionCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = T0.AddDays(-70), To = T0.AddDays(1), Limit = 7, Cursor = cursor });
            seen.AddRange(page.Records.Select(r => r.Id));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null && pages < 20);
        Assert.Equal(expected, seen);
        Assert.True(Store.Partitions().Count(p => p.Participant == UTokyo) >= 2);
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Queries_filter_by_time_range_rule_and_address()
    {
        var a = Record(UTokyo, T0, sid: 1, source: "198.51.100.1");
        var b = Record(UTokyo, T0.AddMinutes(1), sid: 2, destination: "198.51.100.1");
        var c = Record(UTokyo, T0.AddMinutes(2), sid: 1, source: "203.0.113.9", destination: "192.0.2.99");
        var d = Record(UTokyo, T0.AddMinutes(3), sid: 1);
        await Store.AppendAsync([a, b, c, d]);
        async Task<List<DetectionId>> Ids(DetectionQuery q) => [.. (await Store.QueryAsync(q)).Records.Select(r => r.Id)];
        var all = new DetectionQuery { Participant = UTokyo, From = T0, To = T0.AddMinutes(3) };
        Assert.Equal([c.Id, b.Id, a.Id], await Ids(all));
        Assert.Equal([c.Id, a.Id], await Ids(all with { RuleSid = 1 }));
        Assert.Equal([b.Id, a.Id], await Ids(all with { Address = System.Net.IPAddress.Parse("198.51.100.1") }));
        Assert.Equal([a.Id], await Ids(all with { RuleSid = 1, Address = System.Net.IPAddress.Parse("198.51.100.1") }));
        Assert.Empty(await Ids(all with { Participant = Kyoto }));
        Assert.Empty(await Ids(all with { From = T0.AddMinutes(3), To = T0.AddMinutes(3) }));
    }
}

public sealed class FasterDetectionStoreContract : DetectionStoreContract
{
    private string? _dir;

    private protected override Task<IDetectionStore> OpenAsync(FakeTimeProvider clock)
    {
        _dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;
        return Task.FromResult<IDetectionStore>(DetectionStore.Open(_dir, RetentionSchedule.Default, clock));
    }

    protected override Task CleanupAsync()
    {
        Directory.Delete(_dir!, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(ClusterTests.Name)]
public sealed class PostgreSqlDetectionStoreContract(ClusterFixture cluster) : DetectionStoreContract
{
    private readonly ClusterSchema _schema = new(cluster);

    private protected override async Task<IDetectionStore> OpenAsync(FakeTimeProvider clock) =>
        (await _schema.OpenAsync()).Detections(RetentionSchedule.Default, clock);

    protected override Task CleanupAsync() => _schema.DropAsync();
}
