using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>Help on no command, "did you mean" on a misspelt verb or option, one instant format (docs/cli.md).</summary>
public sealed class CliGuideTests
{
    [Fact]
    public void Socs_alone_prints_the_help_and_exits_2_with_one_line()
    {
        var result = Cli.Run();
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("consent", result.Out, StringComparison.Ordinal);
        Assert.Contains("detections", result.Out, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("Required command was not provided", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_without_its_verb_prints_the_group_help()
    {
        var result = Cli.Run("consent");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("approve", result.Out, StringComparison.Ordinal);
        Assert.Contains("fault-access", result.Out, StringComparison.Ordinal);
        Assert.Equal("socs: 'socs consent' needs a command; they are listed above.\n", result.Error);
    }

    [Theory]
    [InlineData(new[] { "cosnent", "show" }, "socs: unknown command 'cosnent'; did you mean 'socs consent'?\n")]
    [InlineData(new[] { "consent", "shwo" }, "socs: unknown command 'shwo' for 'socs consent'; did you mean 'socs consent show'?\n")]
    [InlineData(new[] { "stats" }, "socs: unknown command 'stats'; did you mean 'socs store stats'?\n")]
    [InlineData(new[] { "calendar", "holidays", "--form", "2026-01-01", "--to", "2026-12-31" }, "socs: unknown option '--form' for 'socs calendar holidays'; did you mean '--from'?\n")]
    [InlineData(new[] { "xyzzy" }, "socs: unknown command 'xyzzy'; see 'socs --help'\n")]
    public void A_misspelt_verb_or_option_names_the_closest(string[] args, string expected)
    {
        var result = Cli.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.Error);
        Assert.Equal(string.Empty, result.Out);
    }

    [Theory]
    [InlineData("consent", "consent", 0)]
    [InlineData("cosnent", "consent", 1)]
    [InlineData("inspekt", "inspect", 1)]
    [InlineData("", "abc", 3)]
    public void Distance_counts_edits_and_swaps(string a, string b, int expected) => Assert.Equal(expected, CliGuide.Distance(a, b));

    [Theory]
    [InlineData("2026-11-30T00:00:00Z", "2026-11-30T09:00:00+09:00")]
    [InlineData("2026-11-30T00:00:00.5Z", "2026-11-30T09:00:00.5+09:00")]
    [InlineData("2026-11-30T00:00:00.1234567+00:00", "2026-11-30T09:00:00.1234567+09:00")]
    public void Instants_print_in_JST_without_fractional_zeros(string input, string expected) =>
        Assert.Equal(expected, CliOutput.Instant(DateTimeOffset.Parse(input, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Tables_line_up_with_wide_characters()
    {
        using var output = new StringWriter { NewLine = "\n" };
        CliOutput.WriteTable(output, ["sid", "msg", "n"], [["1", "検知", "5"], ["1000001", "scan", "12"]], new HashSet<int> { 2 });
        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal("sid      msg    n", lines[0]);
        Assert.Equal("1        検知   5", lines[1]);
        Assert.Equal("1000001  scan  12", lines[2]);
    }
}
