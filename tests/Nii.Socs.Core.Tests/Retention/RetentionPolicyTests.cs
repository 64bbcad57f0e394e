using Nii.Socs.Core.Retention;

namespace Nii.Socs.Core.Tests.Retention;

public class RetentionPolicyTests
{
    [Fact]
    [Trait("Requirement", "R7.3")]
    public void Expiry_of_utc_instant_already_in_next_JST_month()
    {
        var acquired = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)), RetentionPolicy.Default.ExpiryOf(acquired));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public void Expiry_of_leap_day_acquisition()
    {
        var acquired = new DateTimeOffset(2028, 2, 29, 12, 0, 0, TimeSpan.FromHours(9));
        Assert.Equal(new DateTimeOffset(2028, 6, 1, 0, 0, 0, TimeSpan.FromHours(9)), RetentionPolicy.Default.ExpiryOf(acquired));
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public void Agreement_can_shorten_to_zero_or_extend()
    {
        var acquired = new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.FromHours(9));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(9)), new RetentionPolicy(0).ExpiryOf(acquired));
        Assert.Equal(new DateTimeOffset(2027, 12, 1, 0, 0, 0, TimeSpan.FromHours(9)), new RetentionPolicy(12).ExpiryOf(acquired));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionPolicy(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionPolicy(121));
    }
}
