using System.Collections.Immutable;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Notifications;

/// <summary>docs/notifications.md: windows are counted on the planning instant, not on the observation time, so a
/// capture replayed from last year is mailed like fresh traffic.</summary>
public sealed class PlanningInstantTests
{
    private static readonly NotificationPlanner s_planner = new(ImportancePolicy.Default, NotificationSettings.Default);

    [Fact]
    [Trait("Requirement", "R4.5")]
    public void Detections_observed_a_year_ago_are_planned_by_the_instant_of_planning()
    {
        var now = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        var lastYear = now.AddYears(-1);

        var plan = s_planner.PlanDetections(
            NotificationState.Empty,
            [NotificationPlannerTests.Detection(lastYear), NotificationPlannerTests.Detection(lastYear.AddSeconds(5))],
            Contacts,
            now);
        var state = NotificationPlannerTests.Fold(plan.Events);

        Assert.Equal((1, 1), (plan.Immediate, plan.Deferred));
        Assert.Equal(now, Assert.IsType<MailQueued>(plan.Events[0]).Mail.CreatedAt);
        Assert.Empty(s_planner.PlanDueDigests(state, now.AddHours(1).AddTicks(-1)));
        Assert.Single(s_planner.PlanDueDigests(state, now.AddHours(1)));
    }

    private static ImmutableArray<string> Contacts(ParticipantId _) => ["soc@u-tokyo.example"];
}
