using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Time;

[Properties(Arbitrary = [typeof(TimeGenerators)])]
public class ServiceCalendarProperties
{
    private static readonly ServiceCalendar s_calendar = ServiceCalendar.Default;

    private static bool InRange(DateTimeOffset t) => Jst.DateOf(t).Year < 2099;

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_service_windows_never_overlap_a_non_working_day(DateTimeOffset instant) =>
        InRange(instant).Implies(() =>
        {
            var window = s_calendar.WindowAtOrAfter(instant);
            var date = Jst.DateOf(window.Start);
            return s_calendar.IsWorkingDay(date)
                && Jst.DateOf(window.End) == date
                && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)
                && !JapaneseHolidays.IsHoliday(date)
                && !ServiceCalendar.IsYearEndClosure(date);
        });

    [Property]
    [Trait("Requirement", "R10.2")]
    public Property R10_in_service_hours_exactly_when_inside_the_window_at_or_after(DateTimeOffset instant) =>
        InRange(instant).Implies(() =>
            s_calendar.IsInServiceHours(instant) == s_calendar.WindowAtOrAfter(instant).Contains(instant));

    [Property]
    [Trait("Requirement", "R10.2")]
    public Property R10_no_service_hours_between_an_instant_and_its_next_window(DateTimeOffset instant) =>
        InRange(instant).Implies(() =>
        {
            var next = s_calendar.NextWindowAfter(instant);
            var gapStart = s_calendar.IsInServiceHours(instant) ? s_calendar.WindowAtOrAfter(instant).End : instant;
            return next.Start > instant
                && (gapStart > next.Start || s_calendar.ServiceTimeBetween(gapStart, next.Start) == TimeSpan.Zero)
                && next.End - next.Start == TimeSpan.FromHours(8);
        });

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_service_time_is_additive_and_bounded(DateTimeOffset a) =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 60 * 24 * 40)), Arb.From(Gen.Choose(0, 60 * 24 * 40)), (m1, m2) =>
        {
            var start = InRange(a.AddDays(41)) ? a : a.AddYears(-1);
            var b = start.AddMinutes(Math.Min(m1, m2));
            var c = start.AddMinutes(Math.Max(m1, m2));
            var whole = s_calendar.ServiceTimeBetween(start, c);
            return (whole == s_calendar.ServiceTimeBetween(start, b) + s_calendar.ServiceTimeBetween(b, c)
                    && whole <= c - start)
                .Classify(whole > TimeSpan.Zero, "some service time");
        });
}
