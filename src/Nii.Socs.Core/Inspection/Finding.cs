namespace Nii.Socs.Core.Inspection;

/// <summary>One deviation from the regulation, with the evidence an inspector can look up (R13.1).</summary>
/// <param name="Code">A stable code, such as <c>keys.destruction-late</c>; see <see cref="FindingCodes"/>.</param>
/// <param name="Requirement">The requirement id it deviates from, such as <c>R8.4</c>.</param>
/// <param name="Message">What happened, in one sentence.</param>
/// <param name="HistoryEntries">Sequence numbers of the operation-history entries that show it; empty when the evidence is elsewhere.</param>
/// <param name="OtherEvidence">Other references: a consent event number (<c>consent#12</c>), a partition (<c>detections/u-tokyo/2026-01</c>).</param>
/// <remarks>R13.1. Edge case: a removed history entry has no entry of its own; the evidence is the two entries around the gap.</remarks>
internal sealed record Finding(string Code, string Requirement, string Message, IReadOnlyList<long> HistoryEntries, IReadOnlyList<string> OtherEvidence);
