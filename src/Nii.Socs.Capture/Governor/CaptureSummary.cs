using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Governor;

/// <summary>What one capture run saw: frames, scope, malformations, detections per sid, exclusions, time.</summary>
/// <remarks>R5.1: <see cref="OutOfScope"/> frames were dropped before anything was stored. R5.2:
/// <see cref="Excluded"/> frames were dropped by an exclusion listed in <see cref="Exclusions"/>.</remarks>
public sealed class CaptureSummary
{
    internal CaptureSummary()
    {
    }

    /// <summary>Frames (or EVE alerts) read.</summary>
    public long FramesRead { get; internal set; }

    /// <summary>Frames whose source or destination is in scope (R5.1).</summary>
    public long InScope { get; internal set; }

    /// <summary>Frames dropped because neither address is in scope, or they carry no IP (R5.1).</summary>
    public long OutOfScope { get; internal set; }

    /// <summary>Frames with a <see cref="Malformation"/> other than none.</summary>
    public long Malformed { get; internal set; }

    /// <summary>Malformed frames by reason.</summary>
    public IReadOnlyDictionary<Malformation, long> MalformedByReason => MalformedCounts;

    /// <summary>In-scope live frames dropped because their prefixes were excluded under load (R5.2); always 0 for a file.</summary>
    public long Excluded { get; internal set; }

    /// <summary>Live frames dropped at a full queue (only with <see cref="LoadGovernorOptions.DropWhenFull"/>); always 0 for a file.</summary>
    public long DroppedQueueFull { get; internal set; }

    /// <summary>Detections produced.</summary>
    public long Detections { get; internal set; }

    /// <summary>Detections per sid, in sid order.</summary>
    public IReadOnlyDictionary<long, long> DetectionsBySid => SidCounts;

    /// <summary>The exclusions of the run, all ended (R5.2).</summary>
    public IReadOnlyList<ScopeExclusion> Exclusions { get; internal set; } = [];

    /// <summary>Why the reader stopped early; <see cref="CaptureFailure.None"/> after a clean end.</summary>
    public CaptureFailure ReaderFailure { get; internal set; }

    /// <summary>pcre evaluations that timed out (counted as no match).</summary>
    public long PcreTimeouts { get; internal set; }

    /// <summary>The detection workers the run used (one per core, at most 8; 0 for EVE input, which has no rules to run).</summary>
    public int DetectionWorkers { get; internal set; }

    /// <summary>The run's duration by the pipeline's clock.</summary>
    public TimeSpan Elapsed { get; internal set; }

    internal SortedDictionary<Malformation, long> MalformedCounts { get; } = [];

    internal SortedDictionary<long, long> SidCounts { get; } = [];
}
