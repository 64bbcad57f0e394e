using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The long-running service's pipeline: stores, key rotation, capture ingestion, retention (DESIGN §8).</summary>
internal static partial class PipelineServices
{
    public static IServiceCollection AddSocsPipeline(this IServiceCollection services)
    {
        services.AddSingleton(sp => SocsData.Open(
            sp.GetRequiredService<IOptions<DataOptions>>().Value.Directory,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<RetentionOptions>>().Value.ToPolicy(),
            audit: sp.GetRequiredService<IOptions<AuditOptions>>().Value));
        // One copy of each log: mail and the portal reuse the pipeline's stores.
        services.AddSingleton<Core.Audit.IOperationHistory>(sp => sp.GetRequiredService<SocsData>().History);
        services.AddSingleton(sp => sp.GetRequiredService<SocsData>().Registry);
        services.AddHostedService<KeyRotationService>();
        services.AddHostedService<CaptureDirectoryService>();
        services.AddHostedService<LiveCaptureService>();
        services.AddHostedService<RetentionService>();
        return services;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Epoch key of {Participant} is now {Epoch}; destroyed {Destroyed}")]
    internal static partial void LogRotation(ILogger logger, string participant, long epoch, int destroyed);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Ingested {File}: {Frames} frames, {Stored} detections stored")]
    internal static partial void LogIngested(ILogger logger, string file, long frames, int stored);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Could not ingest {File}; it is set aside in incoming/failed with its reason")]
    internal static partial void LogIngestFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Retention sweep deleted {Partitions} partition(s) and {Keys} wrapped key set(s)")]
    internal static partial void LogSwept(ILogger logger, int partitions, int keys);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "{Service} failed; retrying at the next interval")]
    internal static partial void LogServiceFailed(ILogger logger, Exception exception, string service);
}

/// <summary>Rotates every participant's key at each epoch start, so destruction never waits for traffic (R8.4).</summary>
internal sealed class KeyRotationService(SocsData data, TimeProvider time, ILogger<KeyRotationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var rotation in await KeyEpochs.RotateAllAsync(data, stoppingToken))
                {
                    if (rotation.Created)
                    {
                        PipelineServices.LogRotation(logger, rotation.Current.Participant.Value, rotation.Current.Index, rotation.Destroyed.Count);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PipelineServices.LogServiceFailed(logger, ex, nameof(KeyRotationService));
            }

            // Wake at the next epoch boundary (weekly schedule), or within an hour for new participants.
            var now = time.GetUtcNow();
            var schedule = EpochSchedule.WeeklyFromMondayJst;
            var next = schedule.EndOf(schedule.EpochOf(new Core.Participants.ParticipantId("schedule"), now));
            var wait = next - now;
            await Task.Delay(wait < TimeSpan.FromHours(1) ? wait + TimeSpan.FromSeconds(1) : TimeSpan.FromHours(1), time, stoppingToken);
        }
    }
}

/// <summary>Ingests every capture or EVE file dropped into the incoming directory, once (R4.1, R4.4).</summary>
internal sealed class CaptureDirectoryService(SocsData data, IOptions<CaptureOptions> options, TimeProvider time, ILogger<CaptureDirectoryService> logger, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var incoming = Path.GetFullPath(o.IncomingDirectory);
        var processed = Path.Combine(incoming, "processed");
        var failed = Path.Combine(incoming, "failed");
        Directory.CreateDirectory(processed);
        Directory.CreateDirectory(failed);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var file in Directory.EnumerateFiles(incoming).Order(StringComparer.Ordinal).ToList())
            {
                try
                {
                    var rules = RuleSet.Load(o.RulesFile, RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, data.Time.GetUtcNow())));
                    var notifier = services.GetService<Mail.Notifier>();
                    var result = await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(
                        file,
                        notifier is null ? null : async (stored, ct) => await notifier.OnDetectionsAsync(stored, ct),
                        stoppingToken);
                    File.Move(file, Path.Combine(processed, Path.GetFileName(file)), overwrite: true);
                    PipelineServices.LogIngested(logger, file, result.Summary.FramesRead, result.Stored.Count);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Set the file aside with its reason, so one bad file neither blocks nor floods the log.
                    PipelineServices.LogIngestFailed(logger, ex, file);
                    File.Move(file, Path.Combine(failed, Path.GetFileName(file)), overwrite: true);
                    await File.WriteAllTextAsync(Path.Combine(failed, Path.GetFileName(file) + ".error.txt"), ex.Message + Environment.NewLine, stoppingToken);
                }
            }

            await Task.Delay(o.PollInterval, time, stoppingToken);
        }
    }
}

/// <summary>Sweeps expired partitions every hour (R7.3); every deletion is in the history.</summary>
internal sealed class RetentionService(SocsData data, TimeProvider time, ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeper = new RetentionSweeper(data.Detections, new WrappedKeyDirectory(data.Directory), data.History, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var report = await sweeper.SweepAsync(null, false, stoppingToken);
                if (report.Partitions.Count + report.EpochKeys.Count > 0)
                {
                    PipelineServices.LogSwept(logger, report.Partitions.Count, report.EpochKeys.Count);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PipelineServices.LogServiceFailed(logger, ex, nameof(RetentionService));
            }

            await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken);
        }
    }
}

/// <summary>Captures live from a network interface through libpcap, when <c>Socs:Capture:Interface</c> is set (R4.4).</summary>
/// <remarks>Frames are taken in windows that end after a second without traffic or two seconds of it, so
/// detections are sealed and stored promptly; each window with traffic is one history entry.</remarks>
internal sealed class LiveCaptureService(SocsData data, IOptions<CaptureOptions> options, ILogger<LiveCaptureService> logger, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.Interface))
        {
            return;
        }

        // libpcap blocks in its read; run the loop on its own thread so the host stays responsive.
        await Task.Factory.StartNew(() => LoopAsync(o, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private async Task LoopAsync(CaptureOptions o, CancellationToken stoppingToken)
    {
        using var reader = Capture.Readers.LiveCaptureReader.Open(o.Interface!, string.IsNullOrWhiteSpace(o.Filter) ? null : o.Filter, TimeSpan.FromSeconds(1));

        // A window ends after 1 s without traffic or after 2 s of it, so continuous traffic is still sealed and stored promptly.
        reader.WindowLength = TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                reader.BeginWindow();
                var rules = RuleSet.Load(o.RulesFile, RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, data.Time.GetUtcNow())));
                var notifier = services.GetService<Mail.Notifier>();
                var result = await new Ingestor(data, rules, new LoadGovernorOptions()).IngestAsync(
                    reader,
                    $"capture/live/{o.Interface}",
                    "capture.live.window",
                    notifier is null ? null : async (stored, ct) => await notifier.OnDetectionsAsync(stored, ct),
                    stoppingToken);
                if (result.Summary.FramesRead > 0)
                {
                    PipelineServices.LogIngested(logger, o.Interface!, result.Summary.FramesRead, result.Stored.Count);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PipelineServices.LogServiceFailed(logger, ex, nameof(LiveCaptureService));
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
