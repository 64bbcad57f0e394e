using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Host.Tests.Cli;

namespace Nii.Socs.Host.Tests.Inspection;

public sealed class InspectCommandTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    [Trait("Requirement", "R13.1")]
    public async Task A_compliant_year_exits_0_and_writes_both_reports()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: false);
        var output = Path.Combine(data.Path, "out");

        var result = Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", output);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("findings: 0", result.Out, StringComparison.Ordinal);
        var report = InspectionJson.Deserialize(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
        Assert.True(report.Clean);
        Assert.Equal(4, report.History.Entries);
        Assert.Equal(40, report.Monitoring.Weeks.Sum(w => w.Detections));
        Assert.Equal(48, Assert.Single(report.Monitoring.Participants).ExcludedHours);
        Assert.True(File.Exists(Path.Combine(output, "report.html")));
    }

    [Fact]
    [Trait("Requirement", "R13.1")]
    public async Task A_late_destruction_exits_1_and_names_its_entry()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: true);
        var output = Path.Combine(data.Path, "out");

        var result = Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", output, "--json");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal(FindingCodes.DestructionLate, finding.GetProperty("code").GetString());
        Assert.Equal([1L, 2L], finding.GetProperty("historyEntries").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(result.Out.TrimEnd(), (await File.ReadAllTextAsync(Path.Combine(output, "report.json"))).TrimEnd());
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task A_wider_destruction_grace_accepts_the_late_destruction()
    {
        using var data = await InspectionFixture.CreateAsync(lateDestruction: true);

        var result = Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", Path.Combine(data.Path, "out"), "--destruction-grace-minutes", "360");

        Assert.True(result.ExitCode == 0, result.Out);
    }

    [Theory]
    [InlineData("--destruction-grace-minutes", "-1")]
    [InlineData("--year", "1900")]
    [InlineData("--year", "x")]
    [InlineData("--data", "/nonexistent/socs-data")]
    public void Bad_input_exits_2_with_one_line(string option, string value)
    {
        var args = option == "--data"
            ? new[] { "inspect", "--data", value, "--year", "2026" }
            : ["inspect", "--data", Path.GetTempPath(), option, value];

        var result = Cli.Cli.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    [Trait("Requirement", "R13.1")]
    public async Task The_html_report_renders_its_charts_in_headless_chromium()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-deps.sh");
        using var data = await InspectionFixture.CreateAsync(lateDestruction: true);
        var output = Path.Combine(data.Path, "out");
        Assert.Equal(1, Cli.Cli.Run(new FakeTimeProvider(InspectionFixture.Now), "inspect", "--data", data.Path, "--year", "2026", "--out", output).ExitCode);
        var html = Path.Combine(output, "report.html");

        var dom = await DumpDomAsync(html, data.Path);

        // The DOM chromium built, not the file: the charts are parsed SVG with their bars and coverage line.
        Assert.Contains("<svg id=\"chart-detections\"", dom, StringComparison.Ordinal);
        Assert.Contains("<svg id=\"chart-decisions\"", dom, StringComparison.Ordinal);
        Assert.Contains("<polyline id=\"coverage\"", dom, StringComparison.Ordinal);
        Assert.Equal(53 + 24, CountOf(dom, "<rect class=\"bar\""));
        Assert.Contains("keys.destruction-late", dom, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string needle)
    {
        var count = 0;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task<string> DumpDomAsync(string htmlPath, string profileRoot)
    {
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + Path.Combine(profileRoot, "chromium-profile"), "--dump-dom", new Uri(htmlPath).AbsoluteUri })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        var dom = await stdout;
        Assert.True(dom.Length > 0, "chromium printed no DOM: " + await stderr);
        return dom;
    }
}
