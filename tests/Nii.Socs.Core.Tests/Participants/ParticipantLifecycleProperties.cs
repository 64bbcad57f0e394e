using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Participants;

[Properties(Arbitrary = [typeof(TimeGenerators)])]
public class ParticipantLifecycleProperties
{
    [Property]
    [Trait("Requirement", "R11.1")]
    public Property R11_usage_period_ends_on_a_31_march_within_a_year_of_approval(DateOnly approved) =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 20)), renewals =>
        {
            var period = UsagePeriod.FromApproval(approved, renewals);
            return period.Last.Month == 3 && period.Last.Day == 31
                && period.First == approved
                && period.Last > approved.AddDays(-1)
                && period.Last <= approved.AddYears(1 + renewals)
                && FiscalYear.Of(period.Last) == FiscalYear.Of(approved).Plus(renewals);
        });

    [Property]
    [Trait("Requirement", "R11.2")]
    public Property R11_2_an_approved_participant_without_notice_is_active_every_later_day(DateOnly approved, DateOnly later) =>
        (later >= approved).Implies(() =>
        {
            var life = ParticipantLifecycle.Applied.Approve(approved);
            var period = life.PeriodOn(later)!.Value;
            return life.StatusOn(later) == ParticipantStatus.Active && period.Contains(later);
        });

    [Property]
    [Trait("Requirement", "R12.1")]
    public Property R12_1_termination_is_in_effect_exactly_from_the_day_after_the_notice(DateOnly approved, DateOnly notice, DateOnly probe) =>
        (notice >= approved && probe >= approved).Implies(() =>
        {
            var life = ParticipantLifecycle.Applied.Approve(approved).NoticeTermination(notice);
            return (life.StatusOn(probe) == ParticipantStatus.Terminated) == (probe > notice);
        });
}
