using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Operations;

/// <summary>Health and metrics of <c>socs serve</c> (issue #15): <c>/healthz</c>, <c>/readyz</c>, and a Prometheus scrape
/// whose counters move during an ingest.</summary>
public sealed class HealthTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-health-").FullName;

    [Fact]
    public async Task Healthz_answers_and_a_scrape_shows_the_counters_moving_during_an_ingest()
    {
        var data = Path.Combine(_dir, "data");
        Assert.Equal(0, Cli.Cli.Run("demo", "--no-serve", "--data", data).ExitCode);
        var incoming = Path.Combine(data, "incoming");

        // The demo ends in epoch 2970 (2026-12-08 09:00 JST); serve one hour later, as ServeTests does.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 1, 0, 0, TimeSpan.Zero));
        var builder = ServeCommand.CreateBuilder(
            ["Socs:Data:Directory=" + data, "Socs:Capture:IncomingDirectory=" + incoming, "Socs:Capture:PollInterval=00:00:01", "Socs:Health:Enabled=true", "Socs:Health:Port=0"],
            time);
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        builder.Services.AddHostedService<HealthService>();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var health = host.Services.GetServices<IHostedService>().OfType<HealthService>().Single();
            Assert.NotNull(health.BaseAddress);
            Assert.True(IPAddress.IsLoopback(IPAddress.Parse(health.BaseAddress!.Host)));
            using var client = new HttpClient { BaseAddress = health.BaseAddress };

            var healthz = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            using (var report = JsonDocument.Parse(await healthz.Content.ReadAsStringAsync()))
            {
                Assert.Equal("ok", report.RootElement.GetProperty("status").GetString());
                Assert.Equal(data, report.RootElement.GetProperty("stores").GetProperty("directory").GetString());
                Assert.Equal(2, report.RootElement.GetProperty("keyRing").GetProperty("participants").GetInt32());
                Assert.Equal(0, report.RootElement.GetProperty("outboxBacklog").GetInt32());
            }

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode);

            var before = await ScrapeAsync(client);
            Directory.CreateDirectory(incoming);
            // The demo already ingested demo.pcap, and ingestion is idempotent by source: a capture with the demo's frames
            // twice over (one pcap header, the records repeated) is a new source whose detections are all new.
            var demo = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", "captures", "demo.pcap"));
            File.WriteAllBytes(Path.Combine(incoming, "sensor-1.pcap"), [.. demo, .. demo.AsSpan(24)]);
            var processed = Path.Combine(incoming, "processed", "sensor-1.pcap");
            for (var i = 0; i < 600 && !File.Exists(processed); i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(50);
            }

            Assert.True(File.Exists(processed), "the capture was not ingested");
            // The file is moved before the ingest is counted: wait until /healthz names it (it is set last).
            for (var i = 0; i < 200 && !await LastIngestIsAsync(client, "sensor-1.pcap"); i++)
            {
                await Task.Delay(50);
            }

            var after = await ScrapeAsync(client);

            // The bundled capture: 22 frames read, 21 in scope (README). Other tests in this process may
            // add to the same meter, so the counters grew by at least that much.
            Assert.True(after.GetValueOrDefault("socs_capture_frames_read_total") - before.GetValueOrDefault("socs_capture_frames_read_total") >= 22, Dump(before, after));
            Assert.True(after.GetValueOrDefault("socs_capture_frames_in_scope_total") - before.GetValueOrDefault("socs_capture_frames_in_scope_total") >= 21, Dump(before, after));
            // A new source (the demo's records twice over): its detections are new, so the stored counter moves.
            Assert.True(after.GetValueOrDefault("socs_detections_stored_total") - before.GetValueOrDefault("socs_detections_stored_total") >= 12, Dump(before, after));
            Assert.True(after.ContainsKey("socs_ingest_lag_seconds_count"), Dump(before, after));
            Assert.True(after.ContainsKey("socs_mail_queued_total"), Dump(before, after));

            using var last = JsonDocument.Parse(await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
            Assert.Equal("sensor-1.pcap", last.RootElement.GetProperty("lastIngest").GetProperty("file").GetString());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<bool> LastIngestIsAsync(HttpClient client, string file)
    {
        using var report = JsonDocument.Parse(await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        return report.RootElement.TryGetProperty("lastIngest", out var last) && last.ValueKind == JsonValueKind.Object
            && last.GetProperty("file").GetString() == file;
    }

    [Fact]
    public void The_health_endpoints_are_off_by_default_and_loopback_only()
    {
        var defaults = new Configuration.HealthOptions();
        Assert.False(defaults.Enabled);
        var refused = Cli.Cli.Run("serve", "--set", "Socs:Data:Directory=" + Path.Combine(_dir, "data"), "--set", "Socs:Health:Enabled=true", "--set", "Socs:Health:Address=0.0.0.0", "--set", "Socs:Health:Port=70000");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(
            "socs: Socs:Health:Address must be a loopback address such as 127.0.0.1 or ::1 (was '0.0.0.0'); the endpoints are plain HTTP\n" +
            "socs: Socs:Health:Port must be between 0 and 65535 (was 70000)\n",
            refused.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "data")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var name = line[..line.IndexOfAny(['{', ' '])];
            var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            result[name] = result.GetValueOrDefault(name) + value;
        }

        return result;
    }

    private static string Dump(Dictionary<string, double> before, Dictionary<string, double> after) =>
        string.Join(", ", after.Select(a => $"{a.Key}: {before.GetValueOrDefault(a.Key)} -> {a.Value}"));
}
