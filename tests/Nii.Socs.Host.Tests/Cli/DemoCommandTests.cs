using Microsoft.Extensions.Time.Testing;
using Snapshooter.Xunit;

namespace Nii.Socs.Host.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void Demo_on_the_embedded_default_snapshot()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 28, 7, 30, 0, TimeSpan.Zero));
        var result = Cli.Run(time, "demo");
        Assert.Equal(0, result.ExitCode);
        result.Out.MatchSnapshot();
    }

    [Fact]
    public void Bad_settings_stop_the_demo_at_start_with_one_line_each_naming_the_setting()
    {
        var result = Cli.Run("demo", "--set", "Socs:Retention:Months=200", "--set", "Socs:ServiceHours:Closes=08:00", "--set", "Socs:Data:Directory=");
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.Equal(
            ["socs: Socs:Data:Directory must name a directory (was empty)",
             "socs: Socs:Retention:Months must be between 0 and 120 (was 200)",
             "socs: Socs:ServiceHours:Closes must be after Opens (was 09:00–08:00)"],
            lines);
    }

    [Fact]
    public void A_setting_of_the_wrong_type_is_bad_input()
    {
        var result = Cli.Run("demo", "--set", "Socs:Retention:Months=three");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Socs:Retention:Months", result.Error, StringComparison.Ordinal);
    }
}
