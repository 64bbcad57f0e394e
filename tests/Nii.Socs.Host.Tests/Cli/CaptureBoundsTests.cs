using Microsoft.Extensions.Options;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>Bounded input and progress at the command line, and the governor's settings from configuration.</summary>
public sealed class CaptureBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Scan_with_a_100000_deep_rule_nesting_exits_2_with_one_line_naming_file_and_line()
    {
        var rules = Path.Combine(_dir, "hostile.rules");
        File.WriteAllText(rules, "# feed\nalert ip any any -> " + new string('!', 50_000) + string.Concat(Enumerable.Repeat("[", 50_000)) + "192.0.2.1" + new string(']', 50_000) + " any (sid:9;)\n");
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");
        var result = Cli.Run("capture", "scan", Path.Combine(samples, "captures", "demo.pcap"), "--prefixes", Path.Combine(samples, "prefixes.txt"), "--rules", rules);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Equal($"socs: --rules: {rules}:2: address nesting of '[' and '!' deeper than 32 levels\n", result.Error);
    }

    [Theory]
    [InlineData(0L, 100L << 20, 0L, 0.0, "0 B of 100.0 MiB (0 %), 0 frames, 0 B/s")]
    [InlineData(52L << 20, 100L << 20, 1_234_567L, 2.0, "52.0 MiB of 100.0 MiB (52 %), 1,234,567 frames, 26.0 MiB/s")]
    [InlineData(3L << 30, 12L << 30, 40_000_000L, 30.0, "3.0 GiB of 12.0 GiB (25 %), 40,000,000 frames, 102.4 MiB/s")]
    [InlineData(2048L, 1024L, 3L, 1.0, "2.0 KiB of 1.0 KiB (100 %), 3 frames, 2.0 KiB/s")]
    public void Progress_shows_bytes_share_frames_and_rate(long bytes, long total, long frames, double seconds, string expected) =>
        Assert.Equal(expected, CaptureProgress.Format(bytes, total, frames, TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Progress_is_not_shown_when_stderr_is_not_the_terminal()
    {
        using var error = new StringWriter();
        var context = new CliContext(TextWriter.Null, error, TimeProvider.System);
        Assert.Null(CaptureProgress.Start(context, 10L << 30, () => 0, () => 0));
        Assert.Equal(string.Empty, error.ToString());
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public void Governor_settings_are_read_from_configuration_and_every_bad_one_is_reported()
    {
        using var host = DemoCommand.BuildHost(["Socs:Capture:Governor:QueueCapacity=64", "Socs:Capture:Governor:DropWhenFull=true", "Socs:Capture:Governor:Sustain=00:00:03"]);
        var bound = host.Services.GetService(typeof(IOptions<LoadGovernorOptions>)) as IOptions<LoadGovernorOptions>;
        Assert.Equal((64, true, TimeSpan.FromSeconds(3)), (bound!.Value.QueueCapacity, bound.Value.DropWhenFull, bound.Value.Sustain));

        var failures = new LoadGovernorOptionsValidator().Validate(null, new LoadGovernorOptions { QueueCapacity = 1, HighWaterMark = 1.5, LowWaterMark = -0.1, Sustain = TimeSpan.FromSeconds(-1) }).Failures!.ToList();
        Assert.Equal(
            [
                "Socs:Capture:Governor:QueueCapacity must be between 2 and 1000000 (was 1)",
                "Socs:Capture:Governor:HighWaterMark must be above 0 and at most 1 (was 1.5)",
                "Socs:Capture:Governor:LowWaterMark must be at least 0 and below HighWaterMark 1.5 (was -0.1)",
                "Socs:Capture:Governor:Sustain must not be negative (was -00:00:01)",
            ],
            failures);

        var result = Cli.Run("demo", "--no-serve", "--data", Path.Combine(_dir, "d"), "--set", "Socs:Capture:Governor:QueueCapacity=1", "Socs:Capture:Governor:LowWaterMark=0.9");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("socs: Socs:Capture:Governor:QueueCapacity must be between 2 and 1000000 (was 1)\n", result.Error, StringComparison.Ordinal);
        Assert.Contains("socs: Socs:Capture:Governor:LowWaterMark must be at least 0 and below HighWaterMark 0.8 (was 0.9)\n", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "d")));
    }
}
