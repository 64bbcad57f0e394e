using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Detections;

/// <summary>One stored detection: clear header and rule, sealed content (R2.1, R7.1).</summary>
/// <remarks>
/// <see cref="SealedContent"/> is the self-describing blob made by <c>Sealing</c> (algorithm id,
/// nonce, ciphertext and tag) under the epoch key of <see cref="Epoch"/>; its AAD binds the
/// participant, epoch, <see cref="Id"/> and the header's canonical bytes, so a blob moved to
/// another record fails to open.
/// </remarks>
public sealed record DetectionRecord
{
    /// <summary>The record's id.</summary>
    public required DetectionId Id { get; init; }

    /// <summary>The participant whose monitored addresses the traffic concerns (R5.1).</summary>
    public required ParticipantId Participant { get; init; }

    /// <summary>The key epoch whose common key sealed the content (R8.2).</summary>
    public required EpochId Epoch { get; init; }

    /// <summary>The header information, in clear (R2.1).</summary>
    public required DetectionHeader Header { get; init; }

    /// <summary>The rule that fired.</summary>
    public required RuleRef Rule { get; init; }

    /// <summary>Where the detection came from: a sensor's own rules or an external alert.</summary>
    public DetectionSource Source { get; init; } = DetectionSource.Packet;

    /// <summary>The sealed communication content (R7.1); empty when the detection had no content.</summary>
    public ReadOnlyMemory<byte> SealedContent { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>When the detection was acquired: the observation instant, which decides its JST month (R7.3).</summary>
    public DateTimeOffset AcquiredAt => Header.ObservedAt;
}
