using System.Net;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Tests.Inspection;

/// <summary>A temporary data directory holding a year of operation written through the real stores; deleted on dispose.</summary>
internal sealed class InspectionFixture : IDisposable
{
    public static readonly ParticipantId Tokyo = new("u-tokyo");

    /// <summary>The clock the CLI reads: 2026-06-12 12:00 JST.</summary>
    public static readonly DateTimeOffset Now = Jst.At(new DateOnly(2026, 6, 12), new TimeOnly(12, 0));

    private InspectionFixture(string path) => Path = path;

    public string Path { get; }

    /// <summary>Writes a year; with <paramref name="lateDestruction"/> one key is destroyed five hours after its epoch.</summary>
    public static async Task<InspectionFixture> CreateAsync(bool lateDestruction)
    {
        var fixture = new InspectionFixture(Directory.CreateTempSubdirectory("socs-inspect-").FullName);
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        using (var registry = RegistryStore.Open(fixture.Path))
        {
            var at = Jst.At(new DateOnly(2025, 12, 1));
            await registry.AppendAsync(
            [
                new ApplicationSubmitted(at, "app-1", Tokyo, "The University of Tokyo", [IPPrefix.Parse("192.0.2.0/24")], ["soc@example.ac.jp"], []),
                new ApplicationApproved(at.AddHours(1), "app-1"),
                new ExclusionStarted(Jst.At(new DateOnly(2026, 5, 11)), "ex-1", [IPPrefix.Parse("192.0.2.0/25")], null, "sensor overload (R5.2)"),
                new ExclusionEnded(Jst.At(new DateOnly(2026, 5, 13)), "ex-1"),
            ]);
        }

        // Records in March, April, May and June: all within the default retention on 2026-06-12.
        using (var store = DetectionStore.Open(fixture.Path, time: new FakeTimeProvider(Now)))
        {
            var records = new List<DetectionRecord>();
            for (var week = 0; week < 14; week++)
            {
                var day = Jst.At(new DateOnly(2026, 3, 2)).AddDays(7 * week);
                records.AddRange(Enumerable.Range(0, 1 + (week % 5)).Select(i => Record(day.AddHours(i), schedule.EpochOf(Tokyo, day).Index)));
            }

            await store.AppendAsync(records);
        }

        var first = schedule.EpochOf(Tokyo, Jst.At(new DateOnly(2026, 6, 1)));
        // Epochs of 1 and 8 June: the second is current on 2026-06-15 and its key is still held.
        var lag = lateDestruction ? TimeSpan.FromHours(5) : TimeSpan.FromMinutes(2);
        var time = new FakeTimeProvider(schedule.StartOf(first).AddMinutes(1));
        await using (var history = OperationHistoryStore.Open(fixture.Path, time))
        {
            await KeyRotationRecord.AppendAsync(history, new KeyRotation(first, true, []), schedule);
            var second = first with { Index = first.Index + 1 };
            time.SetUtcNow(schedule.StartOf(second) + lag);
            await KeyRotationRecord.AppendAsync(history, new KeyRotation(second, true, [first]), schedule);
            await history.AppendAsync("system:mail", "mail.sent", "mail/u-tokyo", "important detection");
        }

        return fixture;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    /// <summary>An SSH brute-force detection of u-tokyo, headers only (also the record of the <c>detections list</c> tests).</summary>
    public static DetectionRecord Record(DateTimeOffset observedAt, long epoch) => new()
    {
        Id = DetectionId.New(observedAt),
        Participant = Tokyo,
        Epoch = new EpochId(Tokyo, epoch),
        Header = new DetectionHeader
        {
            ObservedAt = observedAt,
            Source = IPAddress.Parse("198.51.100.7"),
            Destination = IPAddress.Parse("192.0.2.10"),
            Protocol = 6,
            SourcePort = 44321,
            DestinationPort = 22,
            TcpFlags = 0x18,
            CapturedLength = 60,
            WireLength = 60,
            ContentLength = 0,
            HeaderBytes = new byte[] { 0x45, 0x00, 0x00, 0x3c },
        },
        Rule = new RuleRef(2_100_001, 3, "ET SCAN ssh brute force", "attempted-recon", 2),
        SealedContent = Array.Empty<byte>(),
    };
}
