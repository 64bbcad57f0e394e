using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Participants;

public class ParticipantLifecycleTests
{
    private static readonly DateOnly s_approved = new(2026, 5, 10);

    [Fact]
    [Trait("Requirement", "R11.1")]
    public void Period_runs_from_approval_to_the_fiscal_year_end()
    {
        Assert.Equal("2026-05-10..2027-03-31", UsagePeriod.FromApproval(s_approved).ToString());
        Assert.Equal("2027-03-31..2027-03-31", UsagePeriod.FromApproval(new DateOnly(2027, 3, 31)).ToString());
        Assert.Equal("2027-04-01..2028-03-31", UsagePeriod.FromApproval(new DateOnly(2027, 4, 1)).ToString());
    }

    [Fact]
    [Trait("Requirement", "R11.2")]
    public void Period_extends_each_fiscal_year_until_ended()
    {
        var life = ParticipantLifecycle.Applied.Approve(s_approved);
        Assert.Equal(ParticipantStatus.Active, life.StatusOn(new DateOnly(2030, 1, 1)));
        Assert.Equal(new DateOnly(2030, 3, 31), life.PeriodOn(new DateOnly(2030, 1, 1))!.Value.Last);

        var ending = life.EndAtFiscalYear(new FiscalYear(2027));
        Assert.Equal(ParticipantStatus.Active, ending.StatusOn(new DateOnly(2028, 3, 31)));
        Assert.Equal(ParticipantStatus.Expired, ending.StatusOn(new DateOnly(2028, 4, 1)));
        Assert.Equal(new DateOnly(2028, 3, 31), ending.PeriodOn(new DateOnly(2029, 1, 1))!.Value.Last);
    }

    [Fact]
    [Trait("Requirement", "R12.1")]
    public void Termination_takes_effect_the_day_after_the_notice_date()
    {
        Assert.Equal(new DateOnly(2027, 1, 16), Termination.EffectiveFrom(new DateOnly(2027, 1, 15)));
        var life = ParticipantLifecycle.Applied.Approve(s_approved).NoticeTermination(new DateOnly(2027, 1, 15));
        Assert.Equal(ParticipantStatus.Active, life.StatusOn(new DateOnly(2027, 1, 15)));
        Assert.Equal(ParticipantStatus.Terminated, life.StatusOn(new DateOnly(2027, 1, 16)));
    }

    [Fact]
    [Trait("Requirement", "R12.2")]
    public void Refusal_and_revocation_name_one_of_the_six_reasons()
    {
        var refused = ParticipantLifecycle.Applied.Refuse(RefusalReason.NotSinetMember, "not on SINET", s_approved);
        Assert.Equal(ParticipantStatus.Refused, refused.StatusOn(s_approved));
        Assert.Throws<InvalidOperationException>(() => refused.Approve(s_approved));
        Assert.Throws<ArgumentException>(() => ParticipantLifecycle.Applied.Refuse((RefusalReason)7, "x", s_approved));
        Assert.Throws<ArgumentException>(() => ParticipantLifecycle.Applied.Refuse(RefusalReason.FearOfBreach, " ", s_approved));

        var revoked = ParticipantLifecycle.Applied.Approve(s_approved).Revoke(RefusalReason.FalseOrSeriouslyWrong, "false contact data", new DateOnly(2026, 8, 1));
        Assert.Equal(ParticipantStatus.Active, revoked.StatusOn(new DateOnly(2026, 7, 31)));
        Assert.Equal(ParticipantStatus.Revoked, revoked.StatusOn(new DateOnly(2026, 8, 1)));
        Assert.Throws<InvalidOperationException>(() => ParticipantLifecycle.Applied.Revoke(RefusalReason.OtherGoodReason, "x", s_approved));
    }

    [Fact]
    public void A_decided_application_cannot_be_decided_again()
    {
        var approved = ParticipantLifecycle.Applied.Approve(s_approved);
        Assert.Throws<InvalidOperationException>(() => approved.Approve(s_approved));
        Assert.Throws<InvalidOperationException>(() => approved.Refuse(RefusalReason.OtherGoodReason, "x", s_approved));
        Assert.Equal(ParticipantStatus.Applied, ParticipantLifecycle.Applied.StatusOn(s_approved));
    }
}
