using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Research;
using Nii.Socs.Host.Tests.Research;

namespace Nii.Socs.Host.Tests.Cli;

public sealed class ResearchCommandsTests : IDisposable
{
    private const string SampleKey = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";
    private static readonly ParticipantIdentity s_osaka = new(new ParticipantId("osaka-u"), "Osaka University", ["cert@osaka-u.ac.jp"], ["CN=Hanako Suzuki"]);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "socs-research-cli-" + Guid.NewGuid().ToString("N"));

    private string Data => Path.Combine(_root, "data");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, new FakeTimeProvider(new DateTimeOffset(2027, 1, 15, 3, 0, 0, TimeSpan.Zero)));
        var code = CliApp.Run(args, stdout, stderr, context);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private IDisposable MountStore()
    {
        var store = new InMemoryDetectionStore();
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(9));
        for (var i = 0; i < 50; i++)
        {
            store.Add(InMemoryDetectionStore.Record("osaka-u", i % 5 == 0 ? "LOCAL scan of cert@osaka-u.ac.jp" : "ET SCAN", start.AddMinutes(i * 7), $"192.0.2.{1 + i}", "198.51.100.20", i % 3 == 0 ? (byte)17 : (byte)6));
        }

        return ResearchInputs.Mount(Data, new ResearchInput(store, [s_osaka]));
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Anonymize_ip_prints_one_address_per_line_for_IPv4_and_IPv6()
    {
        var (code, output, error) = Run("research", "anonymize-ip", "--key-hex", SampleKey, "128.11.68.132", "::1", "64.39.15.238");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal("135.242.180.132\n78ff:f001:9fc0:20df:8380:b1f1:704:ed\n0.219.7.41\n", output.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("abcd", "192.0.2.1")]
    [InlineData("zz22178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202", "192.0.2.1")]
    [InlineData(SampleKey, "192.0.2")]
    [InlineData(SampleKey, "not-an-address")]
    public void Anonymize_ip_bad_input_is_one_line_on_stderr_and_exit_2(string key, string address)
    {
        var (code, output, error) = Run("research", "anonymize-ip", "--key-hex", key, address);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("socs: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_to_an_unknown_recipient_is_a_clear_error()
    {
        using var mount = MountStore();
        Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University");
        var (code, _, error) = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "osaka-lab", "--out", Path.Combine(_root, "out"));
        Assert.Equal(2, code);
        Assert.Equal("socs: --recipient 'osaka-lab' is not a registered research recipient (registered: kobe-lab); register it with 'socs research recipients add'.\n", error.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public void Export_writes_data_and_manifest_keeps_the_secret_outside_and_a_reuse_reproduces_the_data()
    {
        using var mount = MountStore();
        Assert.Equal(0, Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University", "--contact", "lab@example.ac.jp").Code);
        var first = Path.Combine(_root, "first");
        var (code, output, error) = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", first, "--format", "csv");
        Assert.True(code == 0, error);
        Assert.Contains("rows: 50", output, StringComparison.Ordinal);
        Assert.Contains("exporting [", error, StringComparison.Ordinal);
        Assert.Contains("100%", error, StringComparison.Ordinal);

        var id = output.Split(' ')[2];
        var secretFile = Path.Combine(Data, "research", "secrets", id + ".json");
        Assert.True(File.Exists(secretFile));
        var secretHex = JsonDocument.Parse(File.ReadAllText(secretFile)).RootElement.GetProperty("secretHex").GetString()!;
        var dataSetText = string.Concat(Directory.GetFiles(first).Select(f => File.ReadAllText(f)));
        Assert.DoesNotContain(secretHex, dataSetText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("osaka-u", dataSetText, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("kobe-lab", File.ReadAllText(Path.Combine(first, "manifest.json")), StringComparison.Ordinal);

        var second = Path.Combine(_root, "second");
        var again = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", second, "--format", "csv", "--reuse-secret-of", id, "--quiet");
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal("", again.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "detections.csv")), File.ReadAllBytes(Path.Combine(second, "detections.csv")));

        var fresh = Path.Combine(_root, "fresh");
        Assert.Equal(0, Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", fresh, "--format", "csv", "--quiet").Code);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(first, "detections.csv")), File.ReadAllBytes(Path.Combine(fresh, "detections.csv")));
    }

    [Theory]
    [InlineData("pcap", "detections.pcap")]
    [InlineData("parquet", "detections.parquet")]
    public void Export_formats_write_their_file(string format, string file)
    {
        using var mount = MountStore();
        Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University");
        var output = Path.Combine(_root, format);
        var result = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", output, "--format", format, "--bucket-seconds", "60", "--quiet");
        Assert.True(result.Code == 0, result.Err);
        Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0);
        Assert.Contains("\"bucketSeconds\": 60", File.ReadAllText(Path.Combine(output, "manifest.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "xlsx", "--format must be parquet, csv or pcap")]
    [InlineData("--bucket-seconds", "-5", "--bucket-seconds must be between 0")]
    [InlineData("--max-shift-days", "0", "--max-shift-days must be between 1")]
    [InlineData("--to", "2026-10-01T00:00:00+09:00", "--to must be after --from")]
    [InlineData("--from", "yesterday", "--from must be an ISO 8601 instant")]
    public void Export_bad_options_exit_2_with_the_reason(string option, string value, string message)
    {
        using var mount = MountStore();
        Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University");
        var args = new Dictionary<string, string>
        {
            ["--data"] = Data,
            ["--from"] = "2026-11-01T00:00:00+09:00",
            ["--to"] = "2026-12-01T00:00:00+09:00",
            ["--recipient"] = "kobe-lab",
            ["--out"] = Path.Combine(_root, "out"),
        };
        args[option] = value;
        var (code, _, error) = Run(["research", "export", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_into_a_non_empty_directory_or_without_a_store_exits_2()
    {
        Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University");
        var noStore = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", Path.Combine(_root, "out"));
        Assert.Equal(2, noStore.Code);
        Assert.Contains("No detection store was found", noStore.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Data, "research", "secrets")) && Directory.EnumerateFiles(Path.Combine(Data, "research", "secrets")).Any());

        using var mount = MountStore();
        var full = Path.Combine(_root, "full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "mine");
        var busy = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", full);
        Assert.Equal(2, busy.Code);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(full, "keep.txt")));

        var traversal = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", Path.Combine(_root, "t"), "--reuse-secret-of", "../../etc/passwd");
        Assert.Equal(2, traversal.Code);
        Assert.Contains("is not a research data-set id", traversal.Err, StringComparison.Ordinal);

        var intoSecrets = Run("research", "export", "--data", Data, "--from", "2026-11-01T00:00:00+09:00", "--to", "2026-12-01T00:00:00+09:00", "--recipient", "kobe-lab", "--out", Path.Combine(Data, "research", "secrets", "x"));
        Assert.Equal(2, intoSecrets.Code);
        Assert.Contains("secrets never go into a data set", intoSecrets.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Recipients_add_list_remove()
    {
        Assert.Equal(0, Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Kobe University", "--contact", "lab@example.ac.jp").Code);
        Assert.Equal(0, Run("research", "recipients", "add", "--data", Data, "--name", "aizu-lab", "--organization", "University of Aizu").Code);
        var duplicate = Run("research", "recipients", "add", "--data", Data, "--name", "kobe-lab", "--organization", "Again");
        Assert.Equal(2, duplicate.Code);
        Assert.Equal("aizu-lab (University of Aizu)\nkobe-lab (Kobe University) <lab@example.ac.jp>\n", Run("research", "recipients", "list", "--data", Data).Out.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(0, Run("research", "recipients", "remove", "--data", Data, "--name", "aizu-lab").Code);
        Assert.Equal("kobe-lab (Kobe University) <lab@example.ac.jp>\n", Run("research", "recipients", "list", "--data", Data).Out.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(2, Run("research", "recipients", "add", "--data", Data, "--name", "Bad Name", "--organization", "X").Code);
    }
}
