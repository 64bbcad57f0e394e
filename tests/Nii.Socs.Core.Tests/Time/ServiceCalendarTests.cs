using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Time;

public class ServiceCalendarTests
{
    private static DateTimeOffset J(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Late_afternoon_before_the_year_end_closure_points_to_january_4()
    {
        var at = J("2026-12-28T16:30:00+09:00");
        Assert.True(ServiceCalendar.Default.IsInServiceHours(at));
        var next = ServiceCalendar.Default.NextWindowAfter(at);
        Assert.Equal(J("2027-01-04T09:00:00+09:00"), next.Start);
        Assert.Equal(J("2027-01-04T17:00:00+09:00"), next.End);
    }

    [Fact]
    public void Hours_are_half_open_in_JST()
    {
        Assert.True(ServiceCalendar.Default.IsInServiceHours(J("2026-11-30T09:00:00+09:00")));
        Assert.False(ServiceCalendar.Default.IsInServiceHours(J("2026-11-30T17:00:00+09:00")));
        // 00:00Z is 09:00 JST.
        Assert.True(ServiceCalendar.Default.IsInServiceHours(J("2026-11-30T00:00:00Z")));
        Assert.False(ServiceCalendar.Default.IsInServiceHours(J("2026-11-29T23:59:59Z")));
    }

    [Fact]
    public void Extra_closure_days_are_not_working_days()
    {
        var calendar = new ServiceCalendar(new TimeOnly(9, 0), new TimeOnly(17, 0), [new DateOnly(2026, 12, 1)]);
        Assert.False(calendar.IsWorkingDay(new DateOnly(2026, 12, 1)));
        Assert.True(ServiceCalendar.Default.IsWorkingDay(new DateOnly(2026, 12, 1)));
        Assert.Equal(J("2026-12-02T09:00:00+09:00"), calendar.NextWindowAfter(J("2026-11-30T18:00:00+09:00")).Start);
    }

    [Fact]
    public void Service_time_across_a_weekend_counts_only_working_hours()
    {
        // Friday 16:00 to Monday 10:00 JST: one hour on Friday, one on Monday.
        var span = ServiceCalendar.Default.ServiceTimeBetween(J("2026-11-27T16:00:00+09:00"), J("2026-11-30T10:00:00+09:00"));
        Assert.Equal(TimeSpan.FromHours(2), span);
    }

    [Fact]
    public void Fiscal_year_runs_april_to_march()
    {
        Assert.Equal(new FiscalYear(2026), FiscalYear.Of(new DateOnly(2027, 3, 31)));
        Assert.Equal(new FiscalYear(2027), FiscalYear.Of(new DateOnly(2027, 4, 1)));
        Assert.Equal(new DateOnly(2027, 3, 31), new FiscalYear(2026).LastDay);
        Assert.Equal("FY2026", new FiscalYear(2026).ToString());
    }
}
