using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests;

/// <summary>Runs the first-use steps shown in src/Nii.Socs.Core/README.md.</summary>
public class PackageReadmeTests
{
    [Fact]
    public void Readme_first_use_does_what_it_says()
    {
        var acquired = DateTimeOffset.Parse("2026-11-30T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var expiry = RetentionPolicy.Default.ExpiryOf(acquired);
        var inHours = ServiceCalendar.Default.IsInServiceHours(acquired);
        var holidays = JapaneseHolidays.InYear(2026);
        Assert.Equal(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)), expiry);
        Assert.False(inHours);
        Assert.Equal(18, holidays.Count);
        Assert.Contains(holidays, h => h.Date == new DateOnly(2026, 9, 22) && h.Name == "国民の休日");
    }
}
