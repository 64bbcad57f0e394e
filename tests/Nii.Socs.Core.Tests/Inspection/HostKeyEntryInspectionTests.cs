using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Inspection;

/// <summary>
/// docs/inspection.md, "Two writers of key entries": the host's rotation writes <c>keys.epoch.started</c> /
/// <c>keys.epoch.destroyed</c> without the epoch's bounds; the report then takes the epoch's end from the schedule.
/// </summary>
public sealed class HostKeyEntryInspectionTests
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");
    private static readonly DateTimeOffset s_asOf = Jst.At(new DateOnly(2026, 11, 29), new TimeOnly(12, 0));

    [Theory]
    [InlineData(2, false)]
    [InlineData(59, false)]
    [InlineData(61, true)]
    [InlineData(300, true)]
    [Trait("Requirement", "R8.4")]
    public void Host_key_entries_without_bounds_are_judged_against_the_schedules_epoch_end(int minutesLate, bool late)
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var current = schedule.EpochOf(s_tokyo, s_asOf);
        var ended = current with { Index = current.Index - 1 };
        var destroyedAt = schedule.StartOf(current).AddMinutes(minutesLate);
        // The host's own wording (Host/Pipeline/KeyEpochs.cs): no start= or end= in the details.
        var history = Chain(
            (schedule.StartOf(ended).AddMinutes(1), "keys.epoch.started", $"keys/{s_tokyo}/{ended.Index}", "wrapped_to=1"),
            (destroyedAt, "keys.epoch.destroyed", $"keys/{s_tokyo}/{ended.Index}", "zeroised in memory; sealed copy overwritten and deleted; wrapped forms remain (R8.4)"),
            (destroyedAt, "keys.epoch.started", $"keys/{s_tokyo}/{current.Index}", "wrapped_to=1"));

        var builder = new InspectionBuilder(new InspectionSettings(2026), s_asOf);
        foreach (var entry in history)
        {
            builder.AddHistoryEntry(entry);
        }

        var report = builder.Build();

        if (late)
        {
            var finding = Assert.Single(report.Findings);
            Assert.Equal(FindingCodes.DestructionLate, finding.Code);
            Assert.Contains(2L, finding.HistoryEntries);
        }
        else
        {
            Assert.Empty(report.Findings);
        }
    }

    private static List<OperationEntry> Chain(params (DateTimeOffset At, string Action, string Subject, string Details)[] raw)
    {
        var entries = new List<OperationEntry>();
        var previous = OperationEntry.GenesisHash;
        foreach (var (at, action, subject, details) in raw)
        {
            var entry = OperationEntry.Create(entries.Count + 1, at, "system:keys", action, subject, details, previous);
            entries.Add(entry);
            previous = entry.Hash;
        }

        return entries;
    }
}
