using Snapshooter.Xunit;

namespace Nii.Socs.Host.Tests.Cli;

public class FoundationCommandsTests
{
    [Fact]
    [Trait("Requirement", "R10.1")]
    public void Holidays_2026_snapshot()
    {
        var result = Cli.Run("calendar", "holidays", "--from", "2026-01-01", "--to", "2026-12-31");
        Assert.Equal(0, result.ExitCode);
        result.Out.MatchSnapshot();
    }

    [Fact]
    [Trait("Requirement", "R10.1")]
    public void Holidays_are_ascending_tab_separated_lines()
    {
        var result = Cli.Run("calendar", "holidays", "--from", "2000-01-01", "--to", "2027-12-31");
        var lines = result.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(0, result.ExitCode);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d{2}-\d{2}\t\S+$", l));
        Assert.Equal(lines.Order(StringComparer.Ordinal), lines);
        Assert.Equal("2000-01-01\t元日", lines[0]);
    }

    [Fact]
    [Trait("Requirement", "R10.2")]
    public void Service_window_before_the_year_end_closure_snapshot()
    {
        var result = Cli.Run("calendar", "service-window", "--at", "2026-12-28T16:30:00+09:00");
        Assert.Equal(0, result.ExitCode);
        result.Out.MatchSnapshot();
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public void Retention_expiry_of_the_issue_example()
    {
        var result = Cli.Run("retention", "expiry", "--acquired", "2026-11-30T20:00:00Z");
        Assert.Equal((0, "2027-04-01T00:00:00+09:00\n"), (result.ExitCode, result.Out));
        Assert.Equal("2027-06-01T00:00:00+09:00\n", Cli.Run("retention", "expiry", "--acquired", "2026-11-30T20:00:00Z", "--months", "5").Out);
    }

    [Fact]
    [Trait("Requirement", "R11.1")]
    public void Participants_period_and_termination()
    {
        Assert.Equal("2026-05-10..2027-03-31\n", Cli.Run("participants", "period", "--approved", "2026-05-10").Out);
        Assert.Equal("2026-05-10..2028-03-31\n", Cli.Run("participants", "period", "--approved", "2026-05-10", "--renewals", "1").Out);
        Assert.Equal("2027-01-16\n", Cli.Run("participants", "termination", "--notice-date", "2027-01-15").Out);
    }

    [Theory]
    [InlineData("retention", "expiry", "--acquired", "2026-11-30")]
    [InlineData("retention", "expiry", "--acquired", "2026-11-30T20:00:00Z", "--months", "0x")]
    [InlineData("retention", "expiry", "--acquired", "2026-11-30T20:00:00Z", "--months", "999")]
    [InlineData("calendar", "holidays", "--from", "2026-02-30", "--to", "2026-12-31")]
    [InlineData("calendar", "holidays", "--from", "2026-12-31", "--to", "2026-01-01")]
    [InlineData("calendar", "holidays", "--from", "1900-01-01", "--to", "2026-01-01")]
    [InlineData("calendar", "service-window", "--at", "tomorrow")]
    [InlineData("participants", "period", "--approved", "2026/05/10")]
    [InlineData("participants", "termination")]
    [InlineData("no-such-verb")]
    [InlineData("calendar", "holidays", "--from", "2026-01-01", "--to", "2026-12-31", "--bogus")]
    public void Bad_input_is_one_line_on_stderr_and_exit_code_2(params string[] args)
    {
        var result = Cli.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("socs: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R3.1")]
    public void Participants_validate_reports_every_error_with_its_field()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"institutionName":"U","prefixes":["10.0.0.0/8","10.1.0.0/16","x"],"contactMails":["bad"],"operators":[{"name":"A","mail":"a@example.ac.jp","issueCertificate":true}]}""");
            var result = Cli.Run("participants", "validate", path);
            Assert.Equal(2, result.ExitCode);
            var lines = result.Error.TrimEnd('\n').Split('\n');
            Assert.Equal(3, lines.Length);
            Assert.Contains("prefixes[1]: 10.1.0.0/16 overlaps 10.0.0.0/8 of prefixes[0]", lines[0], StringComparison.Ordinal);
            Assert.Contains("prefixes[2]:", lines[1], StringComparison.Ordinal);
            Assert.Contains("contactMails[0]:", lines[2], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
