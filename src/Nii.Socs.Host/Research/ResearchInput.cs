using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>What a research export reads for a data directory: the detections of a range and the
/// identities to keep out (R9.1).</summary>
/// <param name="Detections">The detection range reader.</param>
/// <param name="Participants">Every registered participant's identity.</param>
internal sealed record ResearchInput(IDetectionRangeReader Detections, IReadOnlyList<ParticipantIdentity> Participants);
