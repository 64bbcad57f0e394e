using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Research;
using Parquet;

namespace Nii.Socs.Host.Tests.Research;

public sealed class ResearchExporterTests : IDisposable
{
    private static readonly ParticipantIdentity s_kyoto = new(new ParticipantId("kyoto-u"), "Kyoto University", ["noc@kyoto-u.ac.jp"], ["CN=noc.kyoto-u.ac.jp"]);
    private static readonly ResearchRecipient s_recipient = new("nagoya-lab", "Nagoya University, security lab", "lab@example.ac.jp");
    private static readonly DateTimeOffset s_from = new(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(9));
    private static readonly DateTimeOffset s_to = new(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(9));
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "socs-research-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static InMemoryDetectionStore Store()
    {
        var store = new InMemoryDetectionStore();
        store.Add(InMemoryDetectionStore.Record("kyoto-u", "ET SCAN from noc.kyoto-u.ac.jp, \"quoted\"", s_from.AddMinutes(5), "192.0.2.10", "198.51.100.7"));
        store.Add(InMemoryDetectionStore.Record("kyoto-u", "ET DNS query", s_from.AddMinutes(6), "2001:db8::5", "2001:db8:1::53", protocol: 17));
        store.Add(InMemoryDetectionStore.Record("kyoto-u", "ICMP sweep", s_from.AddMinutes(7), "192.0.2.10", "198.51.100.8", protocol: 1));
        store.Add(InMemoryDetectionStore.Record("kyoto-u", "out of range", s_to, "192.0.2.11", "198.51.100.9"));
        return store;
    }

    private ResearchExportRequest Request(ResearchFormat format, string name = "set") =>
        new(s_recipient, s_from, s_to, format, TimeRandomization.Default, "rds-test", s_from.AddMonths(2), Path.Combine(_dir, name));

    private static byte[] SecretBytes => Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static List<ResearchRow> Expected(InMemoryDetectionStore store)
    {
        using var secret = ResearchSecret.FromBytes(SecretBytes);
        using var anonymizer = new ResearchAnonymizer(secret, TimeRandomization.Default, [s_kyoto]);
        return [.. store.ReadRangeAsync(s_from, s_to, default).ToBlockingEnumerable().Select(anonymizer.Anonymize)];
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public async Task Csv_export_holds_the_anonymised_rows_and_a_manifest()
    {
        var store = Store();
        using var secret = ResearchSecret.FromBytes(SecretBytes);
        var progress = new List<ResearchExportProgress>();
        var manifest = await ResearchExporter.ExportAsync(store, [s_kyoto], Request(ResearchFormat.Csv), secret, new SyncProgress(progress.Add), default);

        Assert.Equal(3, manifest.Rows);
        Assert.Equal(1.0, progress[^1].Fraction);
        var lines = File.ReadAllLines(Path.Combine(_dir, "set", "detections.csv"));
        Assert.Equal(string.Join(',', CsvResearchWriter.Columns), lines[0]);
        Assert.Equal(4, lines.Length);
        var expected = Expected(store);
        Assert.StartsWith($"{expected[0].Record},{expected[0].Participant},{expected[0].ObservedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'},{expected[0].Source},{expected[0].Destination},6,51515,443,18,", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"ET SCAN from noc.[participant].ac.jp, \"\"quoted\"\"\"", lines[1], StringComparison.Ordinal);
        Assert.Contains(",17,51515,443,,", lines[2], StringComparison.Ordinal);

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "set", "manifest.json")));
        Assert.Equal("nagoya-lab", json.RootElement.GetProperty("recipient").GetProperty("name").GetString());
        var file = json.RootElement.GetProperty("files")[0];
        Assert.Equal("detections.csv", file.GetProperty("name").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, "set", "detections.csv")))), file.GetProperty("sha256").GetString());
        Assert.Equal(new[] { "detections.csv", "manifest.json" }, Directory.GetFiles(Path.Combine(_dir, "set")).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public async Task Parquet_export_reads_back_as_the_anonymised_rows()
    {
        var store = Store();
        using var secret = ResearchSecret.FromBytes(SecretBytes);
        await ResearchExporter.ExportAsync(store, [s_kyoto], Request(ResearchFormat.Parquet), secret, null, default);

        var expected = Expected(store);
        await using var reader = await ParquetReader.CreateAsync(Path.Combine(_dir, "set", "detections.parquet"));
        Assert.Equal(1, reader.RowGroupCount);
        var group = reader.OpenRowGroupReader(0);
        Assert.Equal(3, group.RowCount);
        var records = new string?[3];
        await group.ReadAsync(ParquetResearchWriter.Record, records.AsMemory());
        var sources = new string?[3];
        await group.ReadAsync(ParquetResearchWriter.Source, sources.AsMemory());
        var times = new DateTime[3];
        await group.ReadAsync<DateTime>(ParquetResearchWriter.ObservedAt, times.AsMemory());
        var ports = new int?[3];
        await group.ReadAsync<int>(ParquetResearchWriter.SourcePort, ports.AsMemory());
        var messages = new string?[3];
        await group.ReadAsync(ParquetResearchWriter.RuleMessage, messages.AsMemory());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].Record, records[i]);
            Assert.Equal(expected[i].Source.ToString(), sources[i]);
            Assert.Equal(expected[i].ObservedAt.UtcDateTime.Ticks / 10_000, times[i].Ticks / 10_000);
            Assert.Equal((int?)expected[i].SourcePort, ports[i]);
            Assert.Equal(expected[i].RuleMessage, messages[i]);
        }
    }

    [Fact]
    [Trait("Requirement", "R9.1")]
    public async Task Pcap_export_has_header_only_frames_with_anonymised_addresses_and_valid_checksums()
    {
        var store = Store();
        using var secret = ResearchSecret.FromBytes(SecretBytes);
        await ResearchExporter.ExportAsync(store, [s_kyoto], Request(ResearchFormat.Pcap), secret, null, default);
        var expected = Expected(store);
        var bytes = File.ReadAllBytes(Path.Combine(_dir, "set", "detections.pcap"));

        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)));
        var offset = 24;
        var frames = new List<byte[]>();
        var times = new List<long>();
        var originalLengths = new List<uint>();
        while (offset < bytes.Length)
        {
            times.Add(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)) * 1_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4)));
            var included = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8));
            originalLengths.Add(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12)));
            frames.Add(bytes.AsSpan(offset + 16, included).ToArray());
            offset += 16 + included;
        }

        Assert.Equal(3, frames.Count);

        // TCP over IPv4: 14 + 20 + 20 bytes, the payload cut, the original length kept.
        var tcp = frames[0];
        Assert.Equal(54, tcp.Length);
        Assert.Equal(54u + 1460u, originalLengths[0]);
        Assert.Equal(expected[0].Source, new IPAddress(tcp.AsSpan(26, 4)));
        Assert.Equal(expected[0].Destination, new IPAddress(tcp.AsSpan(30, 4)));
        Assert.Equal(0, PcapFrame.Checksum(tcp.AsSpan(14, 20), 0));
        Assert.Equal(0x12, tcp[14 + 20 + 13]);
        Assert.Equal(0, PcapFrame.Checksum(tcp.AsSpan(34, 20), PseudoSum(tcp.AsSpan(26, 4), tcp.AsSpan(30, 4), 6, 20)));
        Assert.Equal((expected[0].ObservedAt - DateTimeOffset.UnixEpoch).Ticks / 10, times[0]);

        // UDP over IPv6: 14 + 40 + 8 bytes.
        var udp = frames[1];
        Assert.Equal(62, udp.Length);
        Assert.Equal(0x86DD, BinaryPrimitives.ReadUInt16BigEndian(udp.AsSpan(12)));
        Assert.Equal(expected[1].Source, new IPAddress(udp.AsSpan(22, 16)));
        Assert.Equal(0, PcapFrame.Checksum(udp.AsSpan(54, 8), PseudoSum(udp.AsSpan(22, 16), udp.AsSpan(38, 16), 17, 8)));

        // ICMP: no transport header is invented.
        Assert.Equal(34, frames[2].Length);
        Assert.Equal(1, frames[2][14 + 9]);

        // Nothing of the raw header bytes or the content is in the file.
        var text = Encoding.ASCII.GetString(bytes);
        Assert.DoesNotContain("RAW-HEADER", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SEALED", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_into_a_non_empty_directory_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "set"));
        File.WriteAllText(Path.Combine(_dir, "set", "keep.txt"), "mine");
        using var secret = ResearchSecret.Generate();
        await Assert.ThrowsAsync<ArgumentException>(() => ResearchExporter.ExportAsync(Store(), [s_kyoto], Request(ResearchFormat.Csv), secret, null, default));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_dir, "set", "keep.txt")));
    }

    [Fact]
    public void Secret_store_round_trips_and_is_owner_only()
    {
        var store = new ResearchSecretStore(_dir);
        using var secret = ResearchSecret.FromBytes(SecretBytes);
        store.Save("rds-x", secret, Request(ResearchFormat.Csv), TimeSpan.FromDays(-3));
        using var loaded = store.Load("rds-x");
        Assert.Equal(secret.Commitment(), loaded.Commitment());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.PathOf("rds-x")));
        }

        Assert.True(store.Contains(Path.Combine(_dir, "research", "secrets", "x")));
        Assert.True(store.Contains(_dir));
        Assert.False(store.Contains(Path.Combine(_dir, "out")));
    }

    internal static uint PseudoSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        uint sum = 0;
        for (var i = 0; i < source.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(source[i..]) + (uint)BinaryPrimitives.ReadUInt16BigEndian(destination[i..]);
        }

        return sum + protocol + (uint)length;
    }

    private sealed class SyncProgress(Action<ResearchExportProgress> report) : IProgress<ResearchExportProgress>
    {
        public void Report(ResearchExportProgress value) => report(value);
    }
}
