using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Time;

public class JstTests
{
    [Fact]
    public void Utc_evening_of_last_day_is_next_month_in_JST()
    {
        var instant = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateOnly(2026, 12, 1), Jst.DateOf(instant));
        Assert.Equal(new JstMonth(2026, 12), JstMonth.Of(instant));
    }
}
