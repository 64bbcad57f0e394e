using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Keys;

[Properties(Arbitrary = [typeof(KeysArbitraries)])]
public class EpochScheduleProperties
{
    [Property]
    [Trait("Requirement", "R8.2")]
    public Property R8_2_every_instant_lies_in_the_half_open_range_of_its_epoch(ParticipantId participant, DateTimeOffset instant, PositiveInt period)
    {
        var days = (period.Get % 60) + 1;
        var schedule = EpochSchedule.WeeklyFromMondayJst.WithPeriod(participant, days);
        var epoch = schedule.EpochOf(participant, instant);
        var start = schedule.StartOf(epoch);
        var end = schedule.EndOf(epoch);
        return (start <= instant).Label("start <= instant")
            .And((instant < end).Label("instant < end"))
            .And((end - start == TimeSpan.FromDays(days)).Label("length is the period"))
            .And((epoch.Participant == participant).Label("participant kept"))
            .Classify(epoch.Index < 0, "before 1970");
    }

    [Property]
    [Trait("Requirement", "R8.3")]
    public Property R8_3_weekly_epochs_start_on_Monday_00_00_JST(ParticipantId participant, DateTimeOffset instant)
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var start = Jst.ToJst(schedule.StartOf(schedule.EpochOf(participant, instant)));
        return (start.DayOfWeek == DayOfWeek.Monday).Label("Monday")
            .And((start.TimeOfDay == TimeSpan.Zero).Label("00:00 JST"))
            .And((instant - start < TimeSpan.FromDays(7)).Label("within a week"));
    }

    [Property]
    [Trait("Requirement", "R8.2")]
    public bool R8_2_epoch_is_monotonic_in_time(ParticipantId participant, DateTimeOffset a, DateTimeOffset b)
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var (early, late) = a <= b ? (a, b) : (b, a);
        return schedule.EpochOf(participant, early).Index <= schedule.EpochOf(participant, late).Index;
    }

    [Property]
    [Trait("Requirement", "R8.3")]
    public bool R8_3_a_participant_period_does_not_change_anyone_else(ParticipantId participant, DateTimeOffset instant)
    {
        var other = new ParticipantId(participant.Value == "zz-other" ? "zz-other2" : "zz-other");
        var schedule = EpochSchedule.WeeklyFromMondayJst.WithPeriod(participant, 1);
        return schedule.EpochOf(other, instant) == EpochSchedule.WeeklyFromMondayJst.EpochOf(other, instant)
            && schedule.PeriodOf(participant) == 1;
    }
}

public class EpochScheduleTests
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");

    [Fact]
    public void Monday_midnight_JST_opens_a_new_weekly_epoch()
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var monday = new DateTimeOffset(2026, 11, 29, 15, 0, 0, TimeSpan.Zero); // 2026-11-30T00:00+09:00
        var epoch = schedule.EpochOf(s_tokyo, monday);
        Assert.Equal(2969, epoch.Index);
        Assert.Equal(2968, schedule.EpochOf(s_tokyo, monday.AddTicks(-1)).Index);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, Jst.Offset), schedule.StartOf(epoch));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 0, 0, 0, Jst.Offset), schedule.EndOf(epoch));
    }

    [Fact]
    public void Origin_is_epoch_zero_and_the_instant_before_is_epoch_minus_one()
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        Assert.Equal(DayOfWeek.Monday, EpochSchedule.Origin.DayOfWeek);
        Assert.Equal(0, schedule.EpochOf(s_tokyo, EpochSchedule.Origin).Index);
        Assert.Equal(-1, schedule.EpochOf(s_tokyo, EpochSchedule.Origin.AddTicks(-1)).Index);
    }

    [Fact]
    public void Period_must_be_whole_days_from_1_to_the_maximum()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochSchedule(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochSchedule.WeeklyFromMondayJst.WithPeriod(s_tokyo, EpochSchedule.MaxPeriodDays + 1));
        Assert.Equal(7, EpochSchedule.WeeklyFromMondayJst.PeriodOf(s_tokyo));
    }

    [Fact]
    public void Epoch_beyond_the_calendar_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochSchedule.WeeklyFromMondayJst.StartOf(new EpochId(s_tokyo, long.MaxValue / 2)));
    }
}
