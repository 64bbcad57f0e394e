using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using OpenTelemetry.Metrics;

namespace Nii.Socs.Host.Pipeline;

/// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> of <c>socs serve</c> on a separate plain-HTTP loopback
/// port (<c>Socs:Health</c>, off by default; docs/operations.md, "Health and metrics").</summary>
/// <remarks>
/// Both health endpoints answer with the same JSON report (stores, key ring, last ingest, outbox backlog);
/// <c>/healthz</c> is 200 while the process serves, <c>/readyz</c> only once every hosted service has started and
/// until shutdown begins (503 otherwise). <c>/metrics</c> is the OpenTelemetry Prometheus exporter over the
/// <see cref="SocsMetrics"/> meter.
/// </remarks>
internal sealed partial class HealthService(SocsData data, IOptions<HealthOptions> options, IHostApplicationLifetime lifetime, IServiceProvider services, TimeProvider time, ILogger<HealthService> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where the endpoints listen once started; null when disabled.</summary>
    public Uri? BaseAddress { get; private set; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (services.GetService<IMailOutbox>() is { } outbox)
        {
            SocsMetrics.ObserveOutbox(() => outbox.State.LastMailId, () => outbox.State.Pending.Count);
        }

        if (!o.Enabled)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(o.Address), o.Port));
        if (o.Prometheus)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(SocsMetrics.MeterName).AddPrometheusExporter(e => e.ScrapeResponseCacheDurationMilliseconds = 0));
        }

        var app = builder.Build();
        app.MapGet("/healthz", (HttpContext http) => Report(http, ready: true));
        app.MapGet("/readyz", (HttpContext http) => Report(http, ready: lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested));
        if (o.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        await app.StartAsync(cancellationToken);
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        BaseAddress = bound is null ? null : new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal));
        Listening(logger, BaseAddress);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    private async Task Report(HttpContext http, bool ready)
    {
        var now = time.GetUtcNow();
        var active = data.Registry.State.Participants.Values.Where(p => p.TerminatedFrom is null).Select(p => p.Id).ToList();
        var keyed = active.Count(p => data.Keys.TryLoadSealedKey(EpochSchedule.WeeklyFromMondayJst.EpochOf(p, now), out _));
        var last = SocsMetrics.LastIngest;
        var outbox = services.GetService<IMailOutbox>();
        http.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("status", ready ? "ok" : lifetime.ApplicationStopping.IsCancellationRequested ? "stopping" : "starting");
        json.WriteString("at", Cli.CliParse.Iso(Core.Time.Jst.ToJst(now)));
        json.WriteStartObject("stores");
        json.WriteString("directory", data.Directory);
        json.WriteNumber("historyEntries", data.History.Count);
        json.WriteNumber("detectionPartitions", data.Detections.Partitions().Count);
        json.WriteString("provider", data.Provider.ToString());
        json.WriteEndObject();
        json.WriteStartObject("keyRing");
        json.WriteNumber("participants", active.Count);
        json.WriteNumber("currentEpochKeys", keyed);
        json.WriteEndObject();
        if (last is { } l)
        {
            json.WriteStartObject("lastIngest");
            json.WriteString("at", Cli.CliParse.Iso(Core.Time.Jst.ToJst(l.At)));
            json.WriteString("file", l.File);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("lastIngest");
        }

        if (outbox is not null)
        {
            json.WriteNumber("outboxBacklog", outbox.State.Pending.Count);
        }
        else
        {
            json.WriteNull("outboxBacklog");
        }

        json.WriteEndObject();
        await json.FlushAsync();
    }

    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "health and metrics on {Address} (/healthz, /readyz, /metrics)")]
    private static partial void Listening(ILogger logger, Uri? address);
}
