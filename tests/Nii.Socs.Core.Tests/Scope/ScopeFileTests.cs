using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Scope;

public class ScopeFileTests
{
    [Fact]
    public void Every_bad_line_is_reported_and_good_lines_are_kept()
    {
        var text = "# scope\nu-tokyo 192.0.2.0/24\n\nKyoto 198.51.100.0/25\nosaka-u 10.0.0.0/33\nu-tokyo 2001:db8::/32 # v6\ntoo many fields here\n";
        var assignments = ScopeFile.Parse(text, out var errors);
        Assert.Equal(["192.0.2.0/24", "2001:db8::/32"], assignments.Select(a => a.Prefix.ToString()));
        Assert.Equal([4, 5, 7], errors.Select(e => e.Line));
        Assert.Contains("participant id", errors[0].Reason, StringComparison.Ordinal);
    }
}
