using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>A sensor's FASTER spool shipped to the cluster: idempotent by id, trimmed only after the cluster committed.</summary>
[Collection(ClusterTests.Name)]
public sealed class DetectionShipperTests(ClusterFixture cluster) : IAsyncLifetime
{
    private static readonly DateTimeOffset Nov = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Dec = new(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly string _spoolDir = Directory.CreateTempSubdirectory("socs-spool-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 10, 0, 0, 0, TimeSpan.Zero));
    private PostgreSqlStorage _storage = null!;

    public async Task InitializeAsync() => _storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        await cluster.DropSchemaAsync(_schema);
        Directory.Delete(_spoolDir, recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Every_spooled_record_reaches_the_cluster_once_and_only_closed_months_are_trimmed()
    {
        using var spool = DetectionStore.Open(_spoolDir, RetentionSchedule.Default, _clock);
        var records = Enumerable.Range(0, 150).Select(i => Record(UTokyo, Nov.AddMinutes(i)))
            .Concat(Enumerable.Range(0, 100).Select(i => Record(UTokyo, Dec.AddMinutes(i))))
            .Concat(Enumerable.Range(0, 50).Select(i => Record(Kyoto, Nov.AddMinutes(i))))
            .ToList();
        await spool.AppendAsync(records);
        using var target = _storage.Detections(RetentionSchedule.Default, _clock);
        var shipper = new DetectionShipper(spool, target, _clock, batchSize: 64);

        var first = await shipper.ShipAsync();
        Assert.Equal(300, first.Stored);
        Assert.Equal([(Kyoto, new JstMonth(2026, 11)), (UTokyo, new JstMonth(2026, 11))], first.Trimmed.OrderBy(p => p.Participant.Value, StringComparer.Ordinal));
        Assert.Equal([(UTokyo, new JstMonth(2026, 12))], spool.Partitions());
        await AssertAllOnTargetAsync(target, records);

        var second = await shipper.ShipAsync();
        Assert.Equal(100, second.Read);
        Assert.Equal(0, second.Stored);
        Assert.Empty(second.Trimmed);
        Assert.False(Directory.Exists(Path.Combine(_spoolDir, DetectionShipper.WorkDirectoryName)) && Directory.EnumerateFileSystemEntries(Path.Combine(_spoolDir, DetectionShipper.WorkDirectoryName)).Any());
    }

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task A_target_failing_mid_pass_trims_nothing_uncommitted_and_the_next_pass_finishes_the_work()
    {
        using var spool = DetectionStore.Open(_spoolDir, RetentionSchedule.Default, _clock);
        var records = Enumerable.Range(0, 200).Select(i => Record(UTokyo, Nov.AddMinutes(i))).ToList();
        await spool.AppendAsync(records);
        using var real = _storage.Detections(RetentionSchedule.Default, _clock);

        // Fails on the 6th batch: the first pass has shipped the partition (4 batches of 64) and fails while shipping
        // the detached copy, which stays in the work directory.
        var flaky = new FailingStore(real, failOnCall: 6);
        await Assert.ThrowsAsync<IOException>(() => new DetectionShipper(spool, flaky, _clock, batchSize: 64).ShipAsync());
        Assert.Empty(spool.Partitions());
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_spoolDir, DetectionShipper.WorkDirectoryName)));

        var resumed = await new DetectionShipper(spool, real, _clock, batchSize: 64).ShipAsync();
        Assert.Equal(200, resumed.Read);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_spoolDir, DetectionShipper.WorkDirectoryName)));
        await AssertAllOnTargetAsync(real, records);
    }

    private static async Task AssertAllOnTargetAsync(IDetectionStore target, List<DetectionRecord> records)
    {
        foreach (var participant in records.Select(r => r.Participant).Distinct())
        {
            var page = await target.QueryAsync(new DetectionQuery { Participant = participant, From = Nov.AddDays(-30), To = Dec.AddDays(30), Limit = DetectionQuery.MaxLimit });
            Assert.Equal(
                records.Where(r => r.Participant == participant).Select(r => r.Id.Value).Order(),
                page.Records.Select(r => r.Id.Value).Order());
            Assert.Null(page.Next);
        }
    }

    private sealed class FailingStore(IDetectionStore inner, int failOnCall) : IDetectionStore
    {
        private int _calls;

        public RetentionSchedule Schedule { get => inner.Schedule; set => inner.Schedule = value; }

        public Task<int> AppendAsync(IReadOnlyList<DetectionRecord> records, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _calls) == failOnCall ? throw new IOException("the cluster is failing over") : inner.AppendAsync(records, cancellationToken);

        public Task<bool> AppendAsync(DetectionRecord record, CancellationToken cancellationToken = default) => inner.AppendAsync(record, cancellationToken);

        public Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

        public Task<DetectionRecord?> FindAsync(ParticipantId participant, DetectionId id, CancellationToken cancellationToken = default) => inner.FindAsync(participant, id, cancellationToken);

        public IReadOnlyList<(ParticipantId Participant, JstMonth Month)> Partitions() => inner.Partitions();

        public PartitionStats? Stats(ParticipantId participant, JstMonth month) => inner.Stats(participant, month);

        public void Dispose()
        {
        }
    }
}
