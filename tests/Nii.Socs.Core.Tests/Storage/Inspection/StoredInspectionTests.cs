using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Inspection;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Keys;
using Nii.Socs.Core.Time;
using static Nii.Socs.Core.Tests.Storage.StorageTestKit;

namespace Nii.Socs.Core.Tests.Storage.Inspection;

public sealed class StoredInspectionTests
{
    private static readonly InspectionSettings s_2026 = new(2026);

    [Fact]
    public async Task A_real_data_directory_is_inspected_from_its_stores()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(Jst.At(new DateOnly(2026, 1, 20)));
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var certificate = TestCertificates.X25519.Certificate;
        var thumbprint = KeyWrapper.Thumbprint(certificate);

        using (var registry = RegistryStore.Open(dir.Path))
        {
            var at = Jst.At(new DateOnly(2025, 12, 1));
            await registry.AppendAsync(
            [
                new ApplicationSubmitted(at, "app-1", UTokyo, "The University of Tokyo", [IPPrefix.Parse("192.0.2.0/24")], ["soc@example.ac.jp"], []),
                new ApplicationApproved(at.AddHours(1), "app-1"),
                new CertificateIssued(at.AddHours(2), UTokyo, thumbprint, "op@example.ac.jp"),
                new CertificateRevoked(Jst.At(new DateOnly(2026, 3, 1)), UTokyo, thumbprint, "compromise reported (R6.2)"),
            ]);
        }

        var januaryEpoch = schedule.EpochOf(UTokyo, time.GetUtcNow());
        using (var store = DetectionStore.Open(dir.Path, time: time))
        {
            // Fifty records in January 2026 (expired 2026-05-01), twenty in June.
            await store.AppendAsync(Enumerable.Range(0, 50).Select(i => Record(UTokyo, Jst.At(new DateOnly(2026, 1, 12)).AddMinutes(i), epoch: januaryEpoch.Index)).ToList());
            time.SetUtcNow(Jst.At(new DateOnly(2026, 6, 10)));
            await store.AppendAsync(Enumerable.Range(0, 20).Select(i => Record(UTokyo, Jst.At(new DateOnly(2026, 6, 9)).AddMinutes(i), epoch: januaryEpoch.Index + 21)).ToList());
        }

        using (var key = EpochKey.Create(januaryEpoch))
        {
            new FileKeyStore(dir.Path).SaveWrappedSet(KeyWrapper.WrapToAll(key, [certificate]));
        }

        var first = januaryEpoch;
        var second = first with { Index = first.Index + 1 };
        // The January key is destroyed five hours after its epoch ended: late (R8.4).
        await using (var history = OperationHistoryStore.Open(dir.Path, new FakeTimeProvider(schedule.StartOf(second).AddHours(5)), checkpointInterval: 2))
        {
            await KeyRotationRecord.AppendAsync(history, new KeyRotation(second, true, [first]), schedule);
            await history.AppendAsync("system:mail", "mail.digest.sent", "mail/u-tokyo", "3 detections");
        }

        var report = StoredInspection.Run(dir.Path, s_2026, Jst.At(new DateOnly(2026, 6, 15)));

        // The second epoch's key was made and, by June, never destroyed: missing as well as the first one late.
        Assert.Equal(
            [FindingCodes.DestructionLate, FindingCodes.DestructionMissing, FindingCodes.PartitionPastExpiry],
            report.Findings.Select(f => f.Code).Order(StringComparer.Ordinal));
        Assert.Equal([2L], report.Findings.Single(f => f.Code == FindingCodes.DestructionMissing).HistoryEntries);
        Assert.Equal([1L], report.Findings.Single(f => f.Code == FindingCodes.DestructionLate).HistoryEntries);
        Assert.Equal(["detections/u-tokyo/2026-01"], report.Findings.Single(f => f.Code == FindingCodes.PartitionPastExpiry).OtherEvidence);
        Assert.StartsWith("ok 3 entries, last checkpoint", report.History.Verification, StringComparison.Ordinal);
        Assert.True(report.History.Intact);
        Assert.Equal(70, report.Monitoring.Weeks.Sum(w => w.Detections));
        Assert.Equal(50, report.Monitoring.Weeks.Single(w => w.Monday == new DateOnly(2026, 1, 12)).Detections);
        var row = Assert.Single(report.Retention.Participants);
        Assert.Equal((2, 70L, "2026-01"), (row.Partitions, row.Records, row.OldestMonth));
        var warning = Assert.Single(report.Keys.Warnings);
        Assert.Equal((januaryEpoch.Index, thumbprint), (warning.Epoch, Assert.Single(warning.Thumbprints)));
        Assert.Equal((1L, 1L), (report.Notifications.Digests, report.Notifications.Sent));
    }

    [Fact]
    public void An_empty_data_directory_gives_a_clean_report_and_nothing_is_written()
    {
        using var dir = new TempDir();

        var report = StoredInspection.Run(dir.Path, s_2026, Jst.At(new DateOnly(2026, 6, 15)));

        Assert.True(report.Clean);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_missing_data_directory_is_refused() =>
        Assert.Throws<DirectoryNotFoundException>(() => StoredInspection.Run(Path.Combine(Path.GetTempPath(), "socs-missing-" + Guid.NewGuid().ToString("N")), s_2026, DateTimeOffset.UnixEpoch));
}
