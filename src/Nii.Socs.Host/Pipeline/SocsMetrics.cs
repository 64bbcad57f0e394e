using System.Diagnostics.Metrics;
using Nii.Socs.Capture.Governor;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The service's instruments (System.Diagnostics.Metrics, meter <c>Nii.Socs</c>); exported on <c>/metrics</c>
/// when <c>Socs:Health</c> is enabled (docs/operations.md, "Metrics").</summary>
/// <remarks>Counters only count; they never carry addresses, rule text or content (STYLE §10).</remarks>
internal static class SocsMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Nii.Socs";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> FramesRead = Meter.CreateCounter<long>("socs.capture.frames_read", "{frame}", "Frames read from capture files and interfaces");
    private static readonly Counter<long> FramesInScope = Meter.CreateCounter<long>("socs.capture.frames_in_scope", "{frame}", "Frames whose addresses are in a participant's scope (R5.1)");
    private static readonly Counter<long> DetectionsStored = Meter.CreateCounter<long>("socs.detections.stored", "{detection}", "Detections stored, content sealed");
    private static readonly Counter<long> FramesExcluded = Meter.CreateCounter<long>("socs.capture.frames_excluded", "{frame}", "In-scope frames excluded by the load governor (R5.2)");
    private static readonly Histogram<double> IngestLag = Meter.CreateHistogram<double>("socs.ingest.lag", "s", "From a capture file's last write to the end of its ingestion");
    private static readonly Counter<long> MailsSent = Meter.CreateCounter<long>("socs.mail.sent", "{mail}", "Notification mails handed to the transport");
    private static readonly Counter<long> MailsFailed = Meter.CreateCounter<long>("socs.mail.failed", "{attempt}", "Mail attempts that failed (retried with backoff)");
    private static readonly Counter<long> Rotations = Meter.CreateCounter<long>("socs.keys.rotations", "{rotation}", "Epoch keys created by rotation (R8.4)");
    private static readonly Counter<long> Sweeps = Meter.CreateCounter<long>("socs.retention.sweeps", "{sweep}", "Retention sweeps run (R7.3)");
    private static readonly Counter<long> Shipped = Meter.CreateCounter<long>("socs.ship.records", "{detection}", "Spooled detections newly stored on the cluster by the shipper");
    private static readonly Counter<long> ShipFailures = Meter.CreateCounter<long>("socs.ship.failures", "{pass}", "Shipping passes the cluster failed (retried with backoff; nothing uncommitted is trimmed)");
    private static readonly Counter<long> PortalRequests = Meter.CreateCounter<long>("socs.portal.requests", "{request}", "Requests served by the portal");
    private static Func<long>? s_queued;
    private static Func<long>? s_backlog;
    private static (DateTimeOffset At, string File)? s_lastIngest;

    static SocsMetrics()
    {
        Meter.CreateObservableCounter("socs.mail.queued", () => s_queued?.Invoke() ?? 0, "{mail}", "Mails queued in the outbox since it was created");
        Meter.CreateObservableGauge("socs.mail.backlog", () => s_backlog?.Invoke() ?? 0, "{mail}", "Mails waiting in the outbox");
    }

    /// <summary>When the last capture or EVE file was ingested, and which (file name only); null before the first.</summary>
    public static (DateTimeOffset At, string File)? LastIngest => s_lastIngest;

    /// <summary>Counts one shipping pass that the cluster committed.</summary>
    public static void ShipPassed(long stored) => Shipped.Add(stored);

    /// <summary>Counts one shipping pass that failed.</summary>
    public static void ShipFailed() => ShipFailures.Add(1);

    /// <summary>Counts one ingested file.</summary>
    public static void Ingested(string file, CaptureSummary summary, int stored, DateTimeOffset now)
    {
        FramesRead.Add(summary.FramesRead);
        FramesInScope.Add(summary.InScope);
        FramesExcluded.Add(summary.Excluded);
        DetectionsStored.Add(stored);
        if (File.Exists(file))
        {
            IngestLag.Record(Math.Max(0, (now - File.GetLastWriteTimeUtc(file)).TotalSeconds));
        }

        s_lastIngest = (now, Path.GetFileName(file));
    }

    /// <summary>Counts frames of live capture (no file, no lag).</summary>
    public static void Captured(CaptureSummary summary, int stored, DateTimeOffset now)
    {
        FramesRead.Add(summary.FramesRead);
        FramesInScope.Add(summary.InScope);
        FramesExcluded.Add(summary.Excluded);
        DetectionsStored.Add(stored);
        s_lastIngest = (now, "live");
    }

    /// <summary>Counts one pass of the mail sender.</summary>
    public static void Sent(int sent, int failed)
    {
        MailsSent.Add(sent);
        MailsFailed.Add(failed);
    }

    /// <summary>Counts one epoch key created by rotation.</summary>
    public static void Rotated() => Rotations.Add(1);

    /// <summary>Counts one retention sweep.</summary>
    public static void Swept() => Sweeps.Add(1);

    /// <summary>Counts one portal request.</summary>
    public static void PortalRequest() => PortalRequests.Add(1);

    /// <summary>Lets the outbox's counts be observed (queued total and backlog).</summary>
    public static void ObserveOutbox(Func<long> queued, Func<long> backlog)
    {
        s_queued = queued;
        s_backlog = backlog;
    }
}
