using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Time;

public class JapaneseHolidaysProperties
{
    private static Arbitrary<int> Years => Arb.From(Gen.Choose(JapaneseHolidays.FirstYear, JapaneseHolidays.LastYear));

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_every_substitute_holiday_follows_a_run_of_holidays_that_starts_on_a_sunday() =>
        Prop.ForAll(Years, year =>
            JapaneseHolidays.InYear(year).Where(h => h.Kind == HolidayKind.Substitute).All(sub =>
            {
                var day = sub.Date.AddDays(-1);
                while (JapaneseHolidays.TryGet(day, out var h) && h.Kind != HolidayKind.Substitute && day.DayOfWeek != DayOfWeek.Sunday)
                {
                    day = day.AddDays(-1);
                }

                return day.DayOfWeek == DayOfWeek.Sunday && JapaneseHolidays.IsHoliday(day) && sub.Date >= new DateOnly(1973, 4, 12);
            }));

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_every_national_holiday_on_a_sunday_since_1973_04_12_has_a_substitute() =>
        Prop.ForAll(Years, year =>
            JapaneseHolidays.InYear(year)
                .Where(h => h.Kind is HolidayKind.National or HolidayKind.OneOff && h.Date.DayOfWeek == DayOfWeek.Sunday && h.Date > new DateOnly(1973, 4, 12))
                .Where(h => h.Date.Month != 12 || h.Date.Day < 31)
                .All(h =>
                {
                    var next = h.Date.AddDays(1);
                    while (JapaneseHolidays.TryGet(next, out var n) && n.Kind is HolidayKind.National or HolidayKind.OneOff)
                    {
                        if (year < 2007)
                        {
                            return true; // before 2007 a holiday on the Monday absorbs the substitute
                        }

                        next = next.AddDays(1);
                    }

                    return JapaneseHolidays.TryGet(next, out var s) && s.Kind == HolidayKind.Substitute;
                }));

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_every_citizens_holiday_lies_between_two_national_holidays() =>
        Prop.ForAll(Years, year =>
            JapaneseHolidays.InYear(year).Where(h => h.Kind == HolidayKind.Citizens).All(h =>
                IsNational(h.Date.AddDays(-1)) && IsNational(h.Date.AddDays(1)) && h.Date >= new DateOnly(1985, 12, 27)));

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_equinox_days_stay_in_their_astronomical_range() =>
        Prop.ForAll(Years, year =>
            JapaneseHolidays.VernalEquinoxDay(year) is >= 19 and <= 22
            && JapaneseHolidays.AutumnalEquinoxDay(year) is >= 21 and <= 24);

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_happy_monday_holidays_fall_on_mondays_from_their_amendment() =>
        Prop.ForAll(Arb.From(Gen.Choose(2003, JapaneseHolidays.LastYear).Where(y => y is not (2020 or 2021))), year =>
            JapaneseHolidays.InYear(year)
                .Where(h => h.Name is "成人の日" or "海の日" or "敬老の日" or "体育の日" or "スポーツの日")
                .All(h => h.Date.DayOfWeek == DayOfWeek.Monday)
            && JapaneseHolidays.InYear(year).Count(h => h.Name is "成人の日" or "海の日" or "敬老の日" or "体育の日" or "スポーツの日") == 4);

    [Property]
    [Trait("Requirement", "R10.1")]
    public Property R10_a_year_lists_each_date_once_in_ascending_order() =>
        Prop.ForAll(Years, year =>
        {
            var dates = JapaneseHolidays.InYear(year).Select(h => h.Date).ToList();
            return dates.SequenceEqual(dates.Distinct().Order()) && dates.All(d => d.Year == year);
        });

    private static bool IsNational(DateOnly date) =>
        JapaneseHolidays.TryGet(date, out var h) && h.Kind is HolidayKind.National or HolidayKind.OneOff;
}
