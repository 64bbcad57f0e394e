using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Host.Cli;

namespace Nii.Socs.Host.Tests.Cli;

public class CaptureCommandsTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Demo = Path.Combine(Root, "samples", "captures", "demo.pcap");
    private static readonly string Prefixes = Path.Combine(Root, "samples", "prefixes.txt");
    private static readonly string Rules = Path.Combine(Root, "samples", "rules", "demo.rules");

    [Fact]
    [Trait("Requirement", "R2.1")]
    public void Inspect_prints_one_tab_separated_line_per_frame_numbered_from_one()
    {
        var (code, output, error) = Run("capture", "inspect", Demo);
        Assert.Equal((0, string.Empty), (code, error));
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(22, lines.Length);
        Assert.Equal("1\t2026-11-30T20:00:00.000000Z\t203.0.113.7\t192.0.2.10\ttcp\t51000\t80\t66\t0\t", lines[0]);
        Assert.Equal("13\t2026-11-30T20:00:00.087000Z\t203.0.113.99\t192.0.2.1\ticmp\t\t\t42\t32\t", lines[12]);
        Assert.Equal("21\t2026-11-30T20:00:00.145000Z\t203.0.113.7\t192.0.2.10\tudp\t\t\t34\t16\tfragment", lines[20]);
        Assert.EndsWith("\t34\t10\ttruncated-tcp-header", lines[21], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Equal(10, l.Split('\t').Length));
    }

    [Fact]
    public void Inspect_limit_and_bad_input()
    {
        var (code, output, _) = Run("capture", "inspect", Demo, "--limit", "3");
        Assert.Equal((0, 3), (code, output.TrimEnd('\n').Split('\n').Length));
        Assert.Equal(2, Run("capture", "inspect", Demo, "--limit", "0").Code);
        var missing = Run("capture", "inspect", Path.Combine(Root, "no-such.pcap"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
        var notPcap = Run("capture", "inspect", Prefixes);
        Assert.Equal(2, notPcap.Code);
        Assert.Contains("not a pcap or pcapng capture", notPcap.Error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Scan_prints_detections_and_a_summary()
    {
        var (code, output, error) = Run("capture", "scan", Demo, "--prefixes", Prefixes, "--rules", Rules);
        Assert.Equal((0, string.Empty), (code, error));
        Assert.Contains("7\t2026-11-30T20:00:00.043500Z\t1000003\t1\t1\t203.0.113.7\t198.51.100.20\ttcp\t51002\t8080\tkyoto-u\t54\t98\tSOCS WEB web shell probe", output, StringComparison.Ordinal);
        Assert.Contains("frames read\t22", output, StringComparison.Ordinal);
        Assert.Contains("out of scope (dropped)\t1", output, StringComparison.Ordinal);
        Assert.Contains("malformed\t1 (truncated-tcp-header 1)", output, StringComparison.Ordinal);
        Assert.Contains("  sid 1000005\t4", output, StringComparison.Ordinal);
        Assert.Contains("elapsed\t0 ms", output, StringComparison.Ordinal);
        Assert.DoesNotContain("passwd", output, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R5.1")]
    public void Scan_json_has_detections_and_summary()
    {
        var (code, output, _) = Run("capture", "scan", Demo, "--prefixes", Prefixes, "--rules", Rules, "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var detections = json.RootElement.GetProperty("detections");
        Assert.Equal(12, detections.GetArrayLength());
        Assert.Equal("u-tokyo", detections[0].GetProperty("participants")[0].GetString());
        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal(21, summary.GetProperty("in_scope").GetInt32());
        Assert.Equal(3, summary.GetProperty("detections_by_sid").GetProperty("1000006").GetInt32());
    }

    [Fact]
    public void Scan_reports_bad_rules_on_stderr_and_keeps_the_good_ones()
    {
        var dir = Directory.CreateTempSubdirectory("socs-cli-");
        try
        {
            var rules = Path.Combine(dir.FullName, "mixed.rules");
            File.WriteAllText(rules, "alert icmp any any -> $HOME_NET any (msg:\"ping\"; sid:1;)\nalert tcp any any -> any any (msg:\"broken\"; nosuch; sid:2;)\n");
            var (code, output, error) = Run("capture", "scan", Demo, "--prefixes", Prefixes, "--rules", rules);
            Assert.Equal(0, code);
            Assert.Contains($"socs: rule skipped: {rules}:2: unsupported option 'nosuch'", error, StringComparison.Ordinal);
            Assert.Contains("  sid 1\t3", output, StringComparison.Ordinal);

            var eve = Path.Combine(dir.FullName, "eve.json");
            File.WriteAllText(eve, "{\"timestamp\":\"2026-12-01T05:00:00.000000+0900\",\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"src_port\":1,\"dest_ip\":\"198.51.100.3\",\"dest_port\":22,\"proto\":\"TCP\",\"alert\":{\"signature_id\":2001219,\"rev\":20,\"signature\":\"ET SCAN Potential SSH Scan\",\"category\":\"Attempted Information Leak\",\"severity\":2},\"payload\":\"U1NILTIuMA==\"}\n"
                + "{\"timestamp\":\"2026-12-01T05:00:00.000000+0900\",\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"dest_ip\":\"203.0.113.8\",\"proto\":\"UDP\",\"alert\":{\"signature_id\":9}}\n");
            var eveRun = Run("capture", "scan", eve, "--prefixes", Prefixes, "--rules", rules);
            Assert.Equal(0, eveRun.Code);
            Assert.Contains("2001219\t20\t2\t203.0.113.7\t198.51.100.3\ttcp\t1\t22\tkyoto-u\t0\t", eveRun.Output, StringComparison.Ordinal);
            Assert.Contains("out of scope (dropped)\t1", eveRun.Output, StringComparison.Ordinal);

            var badPrefixes = Path.Combine(dir.FullName, "bad.txt");
            File.WriteAllText(badPrefixes, "u-tokyo 192.0.2.0/33\n");
            var bad = Run("capture", "scan", Demo, "--prefixes", badPrefixes, "--rules", rules);
            Assert.Equal(2, bad.Code);
            Assert.Contains("bad.txt:1:", bad.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Scan_timings_prints_each_stage_with_wall_and_cpu_time_on_stderr_and_leaves_the_output_unchanged()
    {
        var plain = Run("capture", "scan", Demo, "--prefixes", Prefixes, "--rules", Rules);
        var (code, output, error) = Run("capture", "scan", Demo, "--prefixes", Prefixes, "--rules", Rules, "--timings");
        Assert.Equal((0, plain.Output), (code, output));
        var lines = error.TrimEnd('\n').Split('\n');
        Assert.Equal("timings\twall ms\tCPU ms", lines[0]);
        Assert.StartsWith("  start-up (runtime, command line)\t", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("  scope (", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("  rules (6 rules)\t", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^  scan \(22 frames, 21 in scope, \d+ detection workers\)\t\d+\t\d+$", lines[4]);
        Assert.StartsWith("  output\t", lines[5], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, output, error, new CliContext(output, error, new FakeTimeProvider()));
        return (code, output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), error.ToString());
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nii.Socs.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Nii.Socs.sln not found");
    }
}
