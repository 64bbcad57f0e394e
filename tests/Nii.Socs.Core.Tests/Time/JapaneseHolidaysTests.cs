using System.Globalization;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Time;

public class JapaneseHolidaysTests
{
    [Fact]
    [Trait("Requirement", "R10.1")]
    public void Every_date_1970_to_2050_agrees_with_the_holiday_jp_data_set()
    {
        // Data/holiday_jp-1970-2050.tsv: dates and names from the holiday_jp project's data
        // (npm package @holiday-jp/holiday_jp 2.5.1, MIT licence), used as facts to cross-check.
        var path = Path.Combine(AppContext.BaseDirectory, "Time", "Data", "holiday_jp-1970-2050.tsv");
        var expected = File.ReadAllLines(path)
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .ToDictionary(p => DateOnly.ParseExact(p[0], "yyyy-MM-dd", CultureInfo.InvariantCulture), p => p[1]);
        var last = expected.Keys.Max();
        var actual = JapaneseHolidays.Between(new DateOnly(1970, 1, 1), last).ToDictionary(h => h.Date);

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (date, name) in expected)
        {
            var holiday = actual[date];
            if (holiday.Kind == HolidayKind.National)
            {
                // The data set adds a parenthesised gloss to a few names, e.g. 体育の日（スポーツの日） in 2019.
                Assert.True(name == holiday.Name || name.StartsWith(holiday.Name + "（", StringComparison.Ordinal), $"{date:yyyy-MM-dd}: expected {name}, got {holiday.Name}");
            }
        }
    }

    [Fact]
    public void Golden_week_2019_has_ten_days_off()
    {
        var days = Enumerable.Range(0, 10).Select(i => new DateOnly(2019, 4, 27).AddDays(i)).ToList();
        Assert.All(days, d => Assert.False(ServiceCalendar.Default.IsWorkingDay(d), $"{d} should be a day off"));
        Assert.Equal(HolidayKind.Citizens, Get(2019, 4, 30).Kind);
        Assert.Equal(HolidayKind.OneOff, Get(2019, 5, 1).Kind);
        Assert.Equal(HolidayKind.Citizens, Get(2019, 5, 2).Kind);
        Assert.Equal(HolidayKind.Substitute, Get(2019, 5, 6).Kind);
        Assert.True(ServiceCalendar.Default.IsWorkingDay(new DateOnly(2019, 5, 7)));
    }

    [Theory]
    [InlineData(2020, 7, 23, "海の日")]
    [InlineData(2020, 7, 24, "スポーツの日")]
    [InlineData(2020, 8, 10, "山の日")]
    [InlineData(2021, 7, 22, "海の日")]
    [InlineData(2021, 7, 23, "スポーツの日")]
    [InlineData(2021, 8, 8, "山の日")]
    [InlineData(2021, 8, 9, "振替休日")]
    public void Olympic_moves_of_2020_and_2021(int y, int m, int d, string name) => Assert.Equal(name, Get(y, m, d).Name);

    [Theory]
    [InlineData(2020, 7, 20)]
    [InlineData(2020, 8, 11)]
    [InlineData(2020, 10, 12)]
    [InlineData(2021, 7, 19)]
    [InlineData(2021, 8, 11)]
    [InlineData(2021, 10, 11)]
    public void Usual_days_were_not_holidays_in_the_Olympic_years(int y, int m, int d) =>
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(y, m, d)));

    [Theory]
    [InlineData(1959, 4, 10)]
    [InlineData(1989, 2, 24)]
    [InlineData(1990, 11, 12)]
    [InlineData(1993, 6, 9)]
    [InlineData(2019, 5, 1)]
    [InlineData(2019, 10, 22)]
    public void One_off_days(int y, int m, int d) => Assert.Equal(HolidayKind.OneOff, Get(y, m, d).Kind);

    [Fact]
    public void Emperors_birthday_moves_with_the_era_and_is_absent_in_2019()
    {
        Assert.Equal("天皇誕生日", Get(1988, 4, 29).Name);
        Assert.Equal("みどりの日", Get(1989, 4, 29).Name);
        Assert.Equal("天皇誕生日", Get(1989, 12, 23).Name);
        Assert.Equal("天皇誕生日", Get(2018, 12, 23).Name);
        Assert.DoesNotContain(JapaneseHolidays.InYear(2019), h => h.Name == "天皇誕生日");
        Assert.Equal("天皇誕生日", Get(2020, 2, 23).Name);
    }

    [Fact]
    public void Substitute_holidays_start_on_1973_04_12()
    {
        // 1973-02-11 (Sunday) was before the law: no substitute on 02-12. 1973-04-29 (Sunday): 04-30.
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(1973, 2, 12)));
        Assert.Equal(HolidayKind.Substitute, Get(1973, 4, 30).Kind);
    }

    [Fact]
    public void Since_2007_a_Sunday_holiday_moves_past_following_holidays()
    {
        // 2009-05-03 was a Sunday; 05-04 and 05-05 are holidays, so 05-06 is the substitute.
        Assert.Equal(HolidayKind.Substitute, Get(2009, 5, 6).Kind);
        // Before 2007 it would not move: 1998-05-03 Sunday, 05-04 citizens' holiday, no 05-06.
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(1998, 5, 6)));
    }

    [Fact]
    public void Years_before_1955_and_after_2099_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.InYear(1954));
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.InYear(2100));
    }

    [Fact]
    public void Early_years_follow_the_1948_law()
    {
        var names = JapaneseHolidays.InYear(1955).Select(h => (h.Date.ToString("MM-dd", CultureInfo.InvariantCulture), h.Name)).ToList();
        Assert.Equal(
            [("01-01", "元日"), ("01-15", "成人の日"), ("03-21", "春分の日"), ("04-29", "天皇誕生日"), ("05-03", "憲法記念日"),
             ("05-05", "こどもの日"), ("09-24", "秋分の日"), ("11-03", "文化の日"), ("11-23", "勤労感謝の日")],
            names);
    }

    private static Holiday Get(int y, int m, int d)
    {
        Assert.True(JapaneseHolidays.TryGet(new DateOnly(y, m, d), out var holiday), $"{y}-{m}-{d} should be a holiday");
        return holiday;
    }
}
