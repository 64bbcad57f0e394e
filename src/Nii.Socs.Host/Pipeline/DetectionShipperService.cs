using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Host.Pipeline;

/// <summary>On a sensor whose provider is PostgreSql: ships the local spool to the cluster every
/// <c>Socs:Storage:ShipInterval</c>, trimming a closed month only after the cluster committed it (R7.1,
/// docs/scale-out.md). Does nothing on FASTER.</summary>
/// <remarks>
/// A pass the cluster fails (a failover, the cluster unreachable) is logged, counted in <c>socs.ship.failures</c> and
/// retried after a backoff that doubles from half a second up to 10 seconds; the records stay in the spool meanwhile
/// and the next pass sends them again (the cluster stores an id once). A pass that trimmed a partition is recorded in
/// the history. Passes are serialised with <c>socs store ship</c> run inside the service (<see cref="SocsData.ShipGate"/>).
/// </remarks>
internal sealed partial class DetectionShipperService(SocsData data, IOptions<StorageOptions> options, TimeProvider time, ILogger<DetectionShipperService> logger) : BackgroundService
{
    /// <summary>The longest wait after a failed pass.</summary>
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Successful passes since start (for tests and the health page).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Failed passes since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    private long _passes;
    private long _failures;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (data.Cluster is not { } cluster)
        {
            return;
        }

        var interval = options.Value.ShipInterval;
        var failed = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var report = await ShipOnceAsync(data, cluster, time, stoppingToken);
                Interlocked.Increment(ref _passes);
                SocsMetrics.ShipPassed(report.Stored);
                if (report.Stored > 0 || report.Trimmed.Count > 0)
                {
                    LogShipped(logger, report.Read, report.Stored, report.Trimmed.Count);
                }

                if (failed > 0)
                {
                    LogResumed(logger, failed);
                }

                failed = 0;
                wait = interval;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                failed++;
                Interlocked.Increment(ref _failures);
                SocsMetrics.ShipFailed();
                wait = Backoff(failed);
                LogFailed(logger, ex.Message.Split('\n')[0], failed, wait.TotalSeconds);
            }

            await Task.Delay(wait, time, stoppingToken);
        }
    }

    /// <summary>The wait after <paramref name="failures"/> consecutive failed passes: 0.5 s doubling, at most <see cref="MaxBackoff"/>.</summary>
    internal static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures - 1, 16))));

    /// <summary>One pass, serialised with every other on this data directory; a pass that trimmed (or every pass, with
    /// <paramref name="recordEveryPass"/>) is recorded in the history.</summary>
    internal static async Task<ShipReport> ShipOnceAsync(SocsData data, ClusterStores cluster, TimeProvider time, CancellationToken cancellationToken, bool recordEveryPass = false)
    {
        await data.ShipGate.WaitAsync(cancellationToken);
        try
        {
            var report = await new DetectionShipper(data.Spool, cluster.Detections, time).ShipAsync(cancellationToken);
            if (recordEveryPass || report.Trimmed.Count > 0)
            {
                await data.History.AppendAsync(
                    "system:shipper",
                    "detections.shipped",
                    "detections",
                    string.Create(CultureInfo.InvariantCulture, $"{report.Read} read, {report.Stored} newly stored on the cluster (schema {cluster.Storage.Schema}); trimmed after commit: {(report.Trimmed.Count == 0 ? "none" : string.Join(", ", report.Trimmed.Select(t => $"{t.Participant}/{t.Month}")))}"),
                    cancellationToken);
            }

            return report;
        }
        finally
        {
            data.ShipGate.Release();
        }
    }

    [LoggerMessage(EventId = 170, Level = LogLevel.Information, Message = "Shipped the spool: {Read} read, {Stored} newly stored on the cluster, {Trimmed} partition(s) trimmed after commit")]
    private static partial void LogShipped(ILogger logger, long read, long stored, int trimmed);

    [LoggerMessage(EventId = 171, Level = LogLevel.Warning, Message = "Shipping to the cluster failed ({Reason}); attempt {Attempt}, retrying in {Seconds} s; nothing uncommitted was trimmed")]
    private static partial void LogFailed(ILogger logger, string reason, int attempt, double seconds);

    [LoggerMessage(EventId = 172, Level = LogLevel.Information, Message = "Shipping to the cluster resumed after {Attempts} failed attempt(s)")]
    private static partial void LogResumed(ILogger logger, int attempts);
}
