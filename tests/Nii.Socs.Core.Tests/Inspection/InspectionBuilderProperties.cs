using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Tests.Generators;

namespace Nii.Socs.Core.Tests.Inspection;

[Properties(Arbitrary = [typeof(InspectionArbitraries)])]
public class InspectionBuilderProperties
{
    [Property(MaxTest = 300)]
    [Trait("Requirement", "R13.1")]
    public Property R13_1_every_injected_deviation_is_reported_and_a_clean_year_has_no_finding(InspectionScenario scenario)
    {
        var report = scenario.Inspect();
        var codes = report.Findings.Select(f => f.Code).ToHashSet();
        var d = scenario.Deviations;
        return (d.Any || report.Findings.Count == 0).Label("clean year has no finding: " + string.Join("; ", report.Findings.Select(f => f.Message)))
            .And((!d.LateDestruction || codes.Contains(FindingCodes.DestructionLate)).Label("late destruction reported"))
            .And((!d.ViewWithoutGrant || codes.Contains(FindingCodes.ViewWithoutGrant)).Label("view without grant reported"))
            .And((!d.PartitionPastExpiry || codes.Contains(FindingCodes.PartitionPastExpiry)).Label("partition past expiry reported"))
            .And((!d.RemovedEntry || codes.Contains(FindingCodes.HistoryEntriesRemoved)).Label("removed entry reported"))
            .Classify(d.Any, "with deviations")
            .Classify(!d.Any, "clean")
            .Collect(report.History.Entries / 50 * 50);
    }

    [Property]
    [Trait("Requirement", "R8.4")]
    public Property R8_4_a_late_destruction_is_reported_with_the_entry_that_shows_it(int seed)
    {
        var scenario = InspectionScenario.Create(Math.Abs(seed % 100_000), new Deviations(true, false, false, false));
        var late = scenario.Inspect().Findings.Where(f => f.Code == FindingCodes.DestructionLate).ToList();
        var destroyed = scenario.History.Where(e => e.Action == Core.Keys.KeyRotationRecord.DestroyedAction).Select(e => e.Sequence).ToHashSet();
        return (late.Count == 1).Label("exactly the injected late destruction")
            .And(late.All(f => f.Requirement == "R8.4" && f.HistoryEntries.Any(destroyed.Contains)).Label("evidence names the destruction entry"));
    }

    [Property]
    [Trait("Requirement", "R7.2")]
    public Property R7_2_a_view_without_grant_is_reported_with_its_consent_event(int seed)
    {
        var scenario = InspectionScenario.Create(Math.Abs(seed % 100_000), new Deviations(false, true, false, false));
        var report = scenario.Inspect();
        var finding = report.Findings.SingleOrDefault(f => f.Code == FindingCodes.ViewWithoutGrant);
        var number = scenario.Consent.FindIndex(e => e is Core.Consent.ConsentEvent.Viewed v && v.Viewer.Name == "curious") + 1;
        return (finding is not null).Label("reported")
            .And((finding?.OtherEvidence.SequenceEqual([$"consent#{number}"]) == true).Label("evidence is its consent event"))
            .And((report.Consent.Views == report.Consent.ViewsCovered + 1).Label("one view uncovered"));
    }

    [Property]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_a_partition_past_its_expiry_is_reported(int seed)
    {
        var scenario = InspectionScenario.Create(Math.Abs(seed % 100_000), new Deviations(false, false, true, false));
        var report = scenario.Inspect();
        return (report.Findings.Count(f => f.Code == FindingCodes.PartitionPastExpiry) == 1).Label("one partition past expiry")
            .And((report.Retention.Participants.Sum(p => p.PartitionsPastExpiry) == 1).Label("counted in its participant's row"));
    }

    [Property]
    [Trait("Requirement", "R6.4")]
    public Property R6_4_a_removed_history_entry_is_reported_with_the_entries_around_it(int seed)
    {
        var scenario = InspectionScenario.Create(Math.Abs(seed % 100_000), new Deviations(false, false, false, true));
        var report = scenario.Inspect();
        var removed = report.Findings.Where(f => f.Code == FindingCodes.HistoryEntriesRemoved).ToList();
        var kept = scenario.History.Select(e => e.Sequence).ToHashSet();
        var missing = Enumerable.Range(1, (int)scenario.History[^1].Sequence).Single(s => !kept.Contains(s));
        return (removed.Count == 1).Label("one gap reported")
            .And((removed[0].Message.Contains($"{missing}..{missing}", StringComparison.Ordinal)).Label("names the missing entry"))
            .And((!report.History.NothingRemoved && !report.History.Intact).Label("history section says so"));
    }
}
