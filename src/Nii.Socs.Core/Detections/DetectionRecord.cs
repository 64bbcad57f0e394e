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

    /// <summary>When the organization acquired the detection (stored it); its JST month is the record's partition and
    /// the start of its retention (R7.3).</summary>
    /// <value>Set by the ingestion from the injected clock. When never set (records stored before this field existed,
    /// or built by hand) it is the observation instant, which was the rule then.</value>
    public DateTimeOffset AcquiredAt
    {
        get => _acquiredAt ?? Header.ObservedAt;
        init => _acquiredAt = value;
    }

    /// <summary>Whether the observation instant is far from the acquisition (<see cref="ObservationSkew"/>): the
    /// sensor's clock or the file's timestamps are not to be trusted for this record.</summary>
    public bool ObservationSkewed => ObservationSkew.IsFar(Header.ObservedAt, AcquiredAt);

    private readonly DateTimeOffset? _acquiredAt;
}

/// <summary>When an observation instant is too far from its acquisition to be believed (R7.3).</summary>
/// <remarks>
/// R7.3 counts retention from acquisition, so a wrong sensor clock can no longer keep a record for years; it is only
/// shown. A record is flagged when it was observed more than <see cref="Future"/> after it was acquired (the frame
/// claims a time that had not come yet), or more than <see cref="Past"/> before (older than the longest default
/// retention window: had it been acquired when observed, it would be deleted already).
/// <para>Edge case: observed exactly 24 h after acquisition is not flagged; one tick more is.</para>
/// </remarks>
internal static class ObservationSkew
{
    /// <summary>How far past the acquisition an observation may claim to be: 24 hours (time zones, clock drift).</summary>
    public static readonly TimeSpan Future = TimeSpan.FromHours(24);

    /// <summary>How far before the acquisition an observation may be: 92 days, the longest 3 calendar months.</summary>
    public static readonly TimeSpan Past = TimeSpan.FromDays(92);

    /// <summary>Whether an observation instant is far from its acquisition.</summary>
    /// <param name="observedAt">The sensor's observation instant.</param>
    /// <param name="acquiredAt">The organization's acquisition instant.</param>
    /// <returns>True when more than <see cref="Future"/> after or more than <see cref="Past"/> before.</returns>
    public static bool IsFar(DateTimeOffset observedAt, DateTimeOffset acquiredAt) =>
        observedAt - acquiredAt > Future || acquiredAt - observedAt > Past;
}
