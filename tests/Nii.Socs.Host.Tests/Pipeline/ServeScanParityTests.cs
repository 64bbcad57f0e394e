using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Pipeline;
using Xunit.Abstractions;
using CliRunner = Nii.Socs.Host.Tests.Cli.Cli;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>Files are never shed (R5.2 applies to live capture only): <c>socs serve</c> stores every detection <c>capture scan</c> finds in the same file.</summary>
public sealed class ServeScanParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-parity-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R5.2")]
    public async Task A_50_MB_capture_gives_the_same_stored_detections_through_serve_as_through_capture_scan()
    {
        var data = Path.Combine(_root, "data");
        await ServiceKit.CreateDataAsync(data, TimeProvider.System);
        var capture = Path.Combine(_root, "sensor.pcap");
        var frames = ServiceKit.WriteCapture(capture, cycles: 1700, frameBytes: 1500, new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero));
        Assert.True(new FileInfo(capture).Length >= 50_000_000, $"the capture has {new FileInfo(capture).Length} bytes");

        // capture scan: detections × their participants is what a store must hold.
        var clock = Stopwatch.StartNew();
        var scan = CliRunner.Run("capture", "scan", capture, "--prefixes", Path.Combine(ServiceKit.Samples, "prefixes.txt"), "--rules", Path.Combine(ServiceKit.Samples, "rules", "demo.rules"), "--json");
        Assert.Equal(0, scan.ExitCode);
        using var json = JsonDocument.Parse(scan.Out);
        var expected = json.RootElement.GetProperty("detections").EnumerateArray().Sum(d => d.GetProperty("participants").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("summary").GetProperty("excluded").GetInt64());
        var scanTimeouts = json.RootElement.GetProperty("summary").GetProperty("pcre_timeouts").GetInt64();
        var scanTime = clock.Elapsed;

        // serve: the file is written under a .part name, renamed in, ingested, moved to processed/.
        clock.Restart();
        var builder = ServeCommand.CreateBuilder(ServiceKit.ServeSettings(data, Path.Combine(ServiceKit.Samples, "rules", "demo.rules")), TimeProvider.System);
        builder.Logging.ClearProviders();
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var incoming = Path.Combine(data, "incoming");
            Directory.CreateDirectory(incoming);
            File.Copy(capture, Path.Combine(incoming, "sensor.pcap.part"));
            File.Move(Path.Combine(incoming, "sensor.pcap.part"), Path.Combine(incoming, "sensor.pcap"));
            var processed = Path.Combine(incoming, "processed", "sensor.pcap");
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(processed) && deadline.Elapsed < TimeSpan.FromMinutes(3))
            {
                await Task.Delay(100);
            }

            await host.StopAsync();
            Assert.True(File.Exists(processed), "serve did not finish the file in 3 minutes");
        }

        var (records, total) = await ServiceKit.ReadStoreAsync(data);
        output.WriteLine($"{frames} frames, {new FileInfo(capture).Length >> 20} MiB: scan {expected} records in {ServiceKit.Ms(scanTime)} ms, serve {total} in {ServiceKit.Ms(clock.Elapsed)} ms");
        Assert.True(expected > 10_000, $"only {expected} detections: the capture does not exercise the queue");
        var entry = OperationHistoryStore.ReadAll(data).Single(e => e.Action == "capture.file.ingested");
        Assert.Contains(" duplicates=0 ", entry.Details, StringComparison.Ordinal);
        Assert.Contains(" excluded=0 ", entry.Details, StringComparison.Ordinal);

        // Under CPU starvation a pcre evaluation may hit its 100 ms timeout (counted, no match): one record less on that
        // side. Each demo rule with a pcre concerns one participant, so the counts agree once timeouts are added back.
        var serveTimeouts = long.Parse(entry.Details.Split(" pcre_timeouts=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"pcre timeouts: scan {scanTimeouts}, serve {serveTimeouts}");
        Assert.True(scanTimeouts + serveTimeouts < 20, "too many pcre timeouts for the comparison to mean anything");
        Assert.Equal(expected + scanTimeouts, total + serveTimeouts);
        Assert.Equal(total, records.Count);
        Assert.Contains($" stored={total} ", entry.Details, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("audit", "verify", "--data", data).ExitCode);
    }
}
