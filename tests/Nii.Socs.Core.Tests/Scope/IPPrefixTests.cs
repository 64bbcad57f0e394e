using System.Net;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Scope;

public class IPPrefixTests
{
    [Theory]
    [InlineData("192.0.2.77/24", "192.0.2.0/24")]
    [InlineData("2001:db8::1/32", "2001:db8::/32")]
    [InlineData("10.1.2.3", "10.1.2.3/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData(" 2001:DB8:0:0::/64 ", "2001:db8::/64")]
    public void Parses_and_normalises(string text, string expected) => Assert.Equal(expected, IPPrefix.Parse(text).ToString());

    [Theory]
    [InlineData("192.0.2.0/33")]
    [InlineData("192.0.2/24")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("")]
    public void Refuses_malformed_text(string text)
    {
        Assert.False(IPPrefix.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Contains_and_overlaps_respect_the_family()
    {
        var v4 = IPPrefix.Parse("192.0.2.0/24");
        Assert.True(v4.Contains(IPAddress.Parse("192.0.2.255")));
        Assert.False(v4.Contains(IPAddress.Parse("192.0.3.0")));
        Assert.False(v4.Contains(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.True(IPPrefix.Parse("2001:db8::/32").Overlaps(IPPrefix.Parse("2001:db8:1::/48")));
        Assert.False(IPPrefix.Parse("0.0.0.0/0").Overlaps(IPPrefix.Parse("::/0")));
    }
}
