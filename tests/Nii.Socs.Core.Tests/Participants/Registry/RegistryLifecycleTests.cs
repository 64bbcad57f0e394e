using System.Collections.Immutable;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Participants.Registry;

/// <summary>The registry folds its events through the participants' lifecycle (R11, R12): one state machine, one place.</summary>
public class RegistryLifecycleTests
{
    private static readonly ParticipantId s_p = new("u-a");

    [Fact]
    [Trait("Requirement", "R12.1")]
    public void Approval_starts_the_usage_period_and_termination_ends_it_from_its_effective_date()
    {
        // 2026-05-09T20:00Z is already 2026-05-10 in JST: the usage period starts on the JST date.
        var approvedAt = new DateTimeOffset(2026, 5, 9, 20, 0, 0, TimeSpan.Zero);
        var state = RegistryState.Fold(
        [
            new ApplicationSubmitted(approvedAt, "app-1", s_p, "U", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u.example.ac.jp"], [new OperatorContact("op", "op@u.example.ac.jp", null, true)]),
            new ApplicationApproved(approvedAt, "app-1"),
        ]);
        var entry = state.Participants[s_p];
        Assert.Equal(new DateOnly(2026, 5, 10), entry.Lifecycle.ApprovedOn);
        Assert.Equal(ParticipantStatus.Applied, entry.StatusOn(new DateOnly(2026, 5, 9)));
        Assert.Equal(ParticipantStatus.Active, entry.StatusOn(new DateOnly(2030, 1, 1)));
        Assert.Equal("2026-05-10..2027-03-31", entry.Lifecycle.PeriodOn(new DateOnly(2026, 6, 1)).ToString());

        var ended = state.Apply(new ParticipantTerminated(approvedAt.AddMonths(8), s_p, new DateOnly(2027, 1, 16))).Participants[s_p];
        Assert.Equal(ParticipantStatus.Active, ended.StatusOn(new DateOnly(2027, 1, 15)));
        Assert.Equal(ParticipantStatus.Terminated, ended.StatusOn(new DateOnly(2027, 1, 16)));
    }
}
