using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
        services.AddSingleton(sp =>
        {
            var data = SocsData.Open(
                sp.GetRequiredService<IOptions<DataOptions>>().Value.Directory,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<RetentionOptions>>().Value.ToPolicy(),
                kekPath: sp.GetService<Microsoft.Extensions.Configuration.IConfiguration>()?[HostSecrets.KekPathSetting],
                audit: sp.GetRequiredService<IOptions<AuditOptions>>().Value,
                storage: sp.GetRequiredService<IOptions<StorageOptions>>().Value);
            // A sensor seals with keys the organization's key service hands it, held in memory only (docs/scale-out.md).
            if (sp.GetService<IOptions<KeyServiceOptions>>()?.Value is { Fetches: true } keyService)
            {
                try
                {
                    data.SealingKeys = KeyService.KeyServiceClient.Open(keyService, data.History, sp.GetRequiredService<TimeProvider>());
                }
                catch
                {
                    // The stores close (and the directory's lock is released) before the start is refused.
                    data.Dispose();
                    throw;
                }
            }

            // R8.1: the contacts and staff are told when a participant has no active certificate; the notifier is
            // resolved at that moment (it needs this instance's history, so not while this factory runs).
            data.OnNoCertificate = async (participant, epoch, ct) =>
            {
                if (sp.GetService<Mail.Notifier>() is { } notifier)
                {
                    await Mail.NoCertificateMail.QueueAsync(data, notifier, sp.GetRequiredService<IOptions<Mail.MailOptions>>().Value.StaffMailbox, participant, epoch, ct).ConfigureAwait(false);
                }
            };
            return data;
        });
        // One copy of each log: mail and the portal reuse the pipeline's stores.
        services.AddSingleton<Core.Audit.IOperationHistory>(sp => sp.GetRequiredService<SocsData>().History);
        services.AddSingleton(sp => sp.GetRequiredService<SocsData>().Registry);
        services.AddSingleton(sp => sp.GetRequiredService<SocsData>().History);
        // On the cluster the mail state is there too: the outbox is the cluster's, opened with the other stores.
        services.AddSingleton<IMailOutbox>(sp => sp.GetRequiredService<SocsData>().Cluster?.Outbox ?? (IMailOutbox)Core.Storage.Outbox.MailOutbox.Open(sp.GetRequiredService<SocsData>().Directory));
        // First, before any capture is read: destroy the keys of epochs that ended while the service was down (R8.4).
        services.AddHostedService<KeyCatchUpService>();
        services.AddHostedService<KeyRotationService>();
        services.AddHostedService<GrantExpiryService>();
        services.AddHostedService<CaptureDirectoryService>();
        services.AddHostedService<LiveCaptureService>();
        services.AddHostedService<RetentionService>();
        services.AddHostedService<DetectionShipperService>();
        return services;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Epoch key of {Participant} is now {Epoch}; destroyed {Destroyed}")]
    internal static partial void LogRotation(ILogger logger, string participant, long epoch, int destroyed);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Ingested {File}: {Frames} frames, {Stored} detections stored")]
    internal static partial void LogIngested(ILogger logger, string file, long frames, int stored);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Could not ingest {File}; it is set aside in incoming/failed with its reason")]
    internal static partial void LogIngestFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Could not ingest {File} now: the cluster is unavailable ({Reason}); it stays in incoming and is tried again")]
    internal static partial void LogIngestDeferred(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Retention sweep deleted {Partitions} partition(s) and {Keys} wrapped key set(s)")]
    internal static partial void LogSwept(ILogger logger, int partitions, int keys);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "{Service} failed; retrying at the next interval")]
    internal static partial void LogServiceFailed(ILogger logger, Exception exception, string service);
}

/// <summary>At start, before every other part of the pipeline: rotates every participant, so a key whose epoch ended while
/// the service was down is destroyed first, its lateness recorded (R8.4).</summary>
/// <remarks>A sensor that fetches its keys (<c>Socs:KeyService:Url</c>) has none of its own to rotate.</remarks>
internal sealed class KeyCatchUpService(SocsData data, IOptions<KeyServiceOptions> keyService) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!keyService.Value.Fetches)
        {
            await KeyEpochs.RotateAllAsync(data, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Destroys a grant's copy of the presented keys at the grant's expiry or revocation: at start (catch-up) and then
/// at each grant's end (R8.6).</summary>
internal sealed class GrantExpiryService(SocsData data, TimeProvider time, ILogger<GrantExpiryService> logger) : BackgroundService
{
    /// <summary>The longest sleep: grants made meanwhile by another process are noticed within it.</summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                data.ConsentService.ReleaseEnded();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException || ClusterStores.IsUnavailable(ex))
            {
                PipelineServices.LogServiceFailed(logger, ex, nameof(GrantExpiryService));
            }

            TimeSpan wait;
            try
            {
                var now = time.GetUtcNow();
                wait = data.ConsentService.NextGrantEnd is { } end && end - now < MaxWait ? end - now : MaxWait;
            }
            catch (Exception ex) when (ClusterStores.IsUnavailable(ex))
            {
                // On the PostgreSql provider the ledger is read from the cluster: during a failover, look again in a second.
                wait = TimeSpan.FromSeconds(1);
            }

            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), time, stoppingToken);
        }
    }
}

/// <summary>Rotates every participant's key at each epoch start, so destruction never waits for traffic (R8.4).</summary>
/// <remarks>Not on a sensor that fetches its keys (<c>Socs:KeyService:Url</c>): it rotates nothing of its own, and drops
/// the fetched keys at their epoch's end itself (<see cref="KeyService.KeyServiceClient"/>).</remarks>
internal sealed class KeyRotationService(SocsData data, TimeProvider time, IOptions<KeyServiceOptions> keyService, ILogger<KeyRotationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (keyService.Value.Fetches)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var rotation in await KeyEpochs.RotateAllAsync(data, stoppingToken))
                {
                    if (rotation.Created)
                    {
                        SocsMetrics.Rotated();
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

/// <summary>Ingests every complete capture or EVE file dropped into the incoming directory, once (R4.1, R4.4).</summary>
/// <remarks>
/// Only complete files are taken (docs/operations.md): names ending in <c>.part</c> or starting with <c>.</c> are
/// being written and are ignored, and a file is taken only when its size and modification time are unchanged since the
/// previous look, one poll interval earlier. A file is moved to <c>processed/</c> only after every record is stored; if
/// the service stops or crashes meanwhile it stays in <c>incoming/</c> and is ingested again from the start, which stores
/// and mails nothing twice (ids derive from the file, <see cref="SourceIdentity"/>).
/// </remarks>
internal sealed class CaptureDirectoryService(SocsData data, IOptions<CaptureOptions> options, IOptions<LoadGovernorOptions> governor, TimeProvider time, ILogger<CaptureDirectoryService> logger, IServiceProvider services) : BackgroundService
{
    /// <summary>The suffix of a file still being written into the incoming directory.</summary>
    public const string PartialSuffix = ".part";

    private readonly Dictionary<string, (long Length, DateTime Written)> _seen = new(StringComparer.Ordinal);

    /// <summary>Whether a name in the incoming directory is a file being written (ignored until renamed).</summary>
    public static bool IsPartial(string fileName) =>
        fileName.StartsWith('.') || fileName.EndsWith(PartialSuffix, StringComparison.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var incoming = Path.GetFullPath(o.IncomingDirectory);
        var processed = Path.Combine(incoming, "processed");
        var failed = Path.Combine(incoming, "failed");
        Directory.CreateDirectory(processed);
        Directory.CreateDirectory(failed);
        var rules = new RuleCache(data, logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var file in Stable(incoming))
            {
                Capture.Detection.RuleSet? ruleSet;
                try
                {
                    ruleSet = await rules.CurrentAsync(o.RulesFile, stoppingToken);
                }
                catch (Exception ex) when (ClusterStores.IsUnavailable(ex) && !stoppingToken.IsCancellationRequested)
                {
                    // The rules' scope comes from the cluster's registry: wait for the failover to end.
                    PipelineServices.LogIngestDeferred(logger, file, ex.Message.Split('\n')[0]);
                    break;
                }

                if (ruleSet is null)
                {
                    // No rule file has ever loaded: leave the captures where they are until one does.
                    break;
                }

                try
                {
                    var notifier = services.GetService<Mail.Notifier>();
                    var result = await new Ingestor(data, ruleSet, governor.Value, o.MaxEveLineLength).IngestAsync(
                        file,
                        notifier is null ? null : async (stored, ct) => await notifier.OnDetectionsAsync(stored, ct),
                        stoppingToken);
                    File.Move(file, Path.Combine(processed, Path.GetFileName(file)), overwrite: true);
                    SocsMetrics.Ingested(Path.Combine(processed, Path.GetFileName(file)), result.Summary, result.NewlyStored, time.GetUtcNow());
                    PipelineServices.LogIngested(logger, file, result.Summary.FramesRead, result.NewlyStored);
                }
                catch (Exception ex) when (ClusterStores.IsUnavailable(ex) && !stoppingToken.IsCancellationRequested)
                {
                    // On the PostgreSql provider the registry, history and outbox are on the cluster: while it fails
                    // over the file stays in incoming/ and is ingested again from the start at the next poll, which
                    // stores and mails nothing twice (ids derive from the file).
                    PipelineServices.LogIngestDeferred(logger, file, ex.Message.Split('\n')[0]);
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

    /// <summary>The complete files: not partial by name, and the same size and modification time as at the previous look.</summary>
    private List<string> Stable(string incoming)
    {
        var stable = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(incoming).Order(StringComparer.Ordinal))
        {
            if (IsPartial(Path.GetFileName(file)))
            {
                continue;
            }

            var info = new FileInfo(file);
            if (!info.Exists)
            {
                continue;
            }

            present.Add(file);
            var now = (info.Length, info.LastWriteTimeUtc);
            if (_seen.TryGetValue(file, out var before) && before == now)
            {
                stable.Add(file);
                _seen.Remove(file);
            }
            else
            {
                _seen[file] = now;
            }
        }

        foreach (var gone in _seen.Keys.Where(k => !present.Contains(k)).ToList())
        {
            _seen.Remove(gone);
        }

        return stable;
    }
}

/// <summary>Sweeps expired partitions every hour (R7.3); every deletion is in the history.</summary>
internal sealed class RetentionService(SocsData data, TimeProvider time, ILogger<RetentionService> logger, IServiceProvider services) : BackgroundService
{
    /// <summary>Every copy of header data outside the store that goes with its partition (R7.3): the mail outbox and
    /// its .eml files, and the capture files set aside in the incoming directory.</summary>
    internal static IReadOnlyList<IDerivedCopies> DerivedCopiesOf(SocsData data, IServiceProvider? services)
    {
        var copies = new List<IDerivedCopies>();
        if (services?.GetService(typeof(IMailOutbox)) is Core.Storage.Outbox.MailOutbox outbox)
        {
            copies.Add(new Mail.MailCopies(outbox, Path.Combine(data.Directory, Mail.EmlMailTransport.DirectoryName)));
        }

        if (services?.GetService(typeof(IOptions<CaptureOptions>)) is IOptions<CaptureOptions> capture)
        {
            copies.Add(new ProcessedCaptures(Path.GetFullPath(capture.Value.IncomingDirectory), () => data.Registry.State.Participants.Keys));
        }

        return copies;
    }

    /// <summary>The copies the cluster's sweeper purges on the PostgreSql provider (R7.3): the cluster's mail outbox
    /// (rewritten without the expired rows, the old table dropped and erased from every node by the same sweep) and
    /// this host's <c>.eml</c> files of the affected mails.</summary>
    internal static IReadOnlyList<IDerivedCopies> ClusterCopiesOf(SocsData data) =>
        data.Cluster is { } cluster ? [new Mail.MailCopies(cluster.Outbox, Path.Combine(data.Directory, Mail.EmlMailTransport.DirectoryName))] : [];

    /// <summary>The wrapped keys the FASTER sweeper may delete: the data directory's on FASTER. On PostgreSql none: the
    /// keys are the cluster's, judged by the cluster's sweeper (<c>PostgreSqlRetentionSweeper.Keys</c>) by the cluster's
    /// partitions; the spool's sweeper would judge them by the spool, which is trimmed once shipped.</summary>
    internal static IWrappedKeyStore WrappedKeysToSweep(SocsData data) =>
        data.Cluster is null ? new WrappedKeyDirectory(data.Directory) : new KeptWrappedKeys();

    /// <summary>The sweeper of the cluster's partitions, mail outbox and epoch keys on PostgreSql (null on FASTER): it drops
    /// the expired partitions, purges the outbox's copies (<see cref="ClusterCopiesOf"/>) and drops the wrapped sets no
    /// remaining partition needs, and erases all of it from every node (R7.3, R8.4).</summary>
    internal static Storage.PostgreSql.PostgreSqlRetentionSweeper? ClusterSweeperOf(SocsData data, TimeProvider time) =>
        data.Cluster is { } c ? new Storage.PostgreSql.PostgreSqlRetentionSweeper(c.Detections, data.History, time) { Keys = c.Keys, KeySchedule = data.Schedule, DerivedCopies = ClusterCopiesOf(data) } : null;

    /// <summary>No wrapped keys are offered for deletion (the sweeper lists none, so it deletes and records none).</summary>
    private sealed class KeptWrappedKeys : IWrappedKeyStore
    {
        public IReadOnlyList<Core.Participants.ParticipantId> Participants() => [];

        public IReadOnlyList<long> Epochs(Core.Participants.ParticipantId participant) => [];

        public void Delete(Core.Participants.ParticipantId participant, long epoch) =>
            throw new InvalidOperationException("The wrapped keys are not swept by the spool's sweeper on the PostgreSql provider.");

        public IReadOnlyList<(Core.Participants.ParticipantId Participant, long Epoch)> FinishPendingDeletions() => [];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // R7.3: the mail's copies of header data (outbox rows, .eml files) go with their partitions.
        // On PostgreSql the local spool is swept here and the cluster's partitions and mail outbox by the cluster's sweeper.
        var sweeper = new RetentionSweeper(data.Spool, WrappedKeysToSweep(data), data.History, time)
        {
            DerivedCopies = DerivedCopiesOf(data, services),
        };
        var cluster = ClusterSweeperOf(data, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var report = await sweeper.SweepAsync(null, false, stoppingToken);
                if (cluster is not null)
                {
                    var swept = await cluster.SweepAsync(null, false, stoppingToken);
                    report = report with { Partitions = [.. report.Partitions, .. swept.Partitions], EpochKeys = [.. report.EpochKeys, .. swept.EpochKeys], Copies = [.. report.Copies, .. swept.Copies] };
                }

                SocsMetrics.Swept();
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
internal sealed class LiveCaptureService(SocsData data, IOptions<CaptureOptions> options, IOptions<LoadGovernorOptions> governor, ILogger<LiveCaptureService> logger, IServiceProvider services) : BackgroundService
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
        var rules = new RuleCache(data, logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                reader.BeginWindow();
                var ruleSet = await rules.CurrentAsync(o.RulesFile, stoppingToken);
                if (ruleSet is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                    continue;
                }

                var notifier = services.GetService<Mail.Notifier>();
                var result = await new Ingestor(data, ruleSet, governor.Value, o.MaxEveLineLength).IngestAsync(
                    reader,
                    $"capture/live/{o.Interface}",
                    "capture.live.window",
                    notifier is null ? null : async (stored, ct) => await notifier.OnDetectionsAsync(stored, ct),
                    stoppingToken);
                if (result.Summary.FramesRead > 0)
                {
                    SocsMetrics.Captured(result.Summary, result.NewlyStored, data.Time.GetUtcNow());
                    PipelineServices.LogIngested(logger, o.Interface!, result.Summary.FramesRead, result.NewlyStored);
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
