using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>One detection as a mail shows it: header information and rule only (R2.1, R4.5).</summary>
/// <remarks>
/// R2.1, R4.5: a mail carries header information only. This type has no field for the content, its sealed form, the
/// raw header bytes or any excerpt, so no mail built from it can carry content.
/// <para>Edge case: an ICMP detection has no ports; its row shows <c>-</c> for both.</para>
/// </remarks>
/// <param name="Id">The detection's id, for the portal.</param>
/// <param name="Participant">The participant.</param>
/// <param name="ObservedAt">When the traffic was observed (UTC).</param>
/// <param name="Source">The source address.</param>
/// <param name="Destination">The destination address.</param>
/// <param name="Protocol">The IANA protocol number.</param>
/// <param name="SourcePort">The source port; null without ports.</param>
/// <param name="DestinationPort">The destination port; null without ports.</param>
/// <param name="Sid">The rule's signature id.</param>
/// <param name="Message">The rule's <c>msg</c>.</param>
/// <param name="ClassType">The rule's classtype; null when none.</param>
/// <param name="Priority">The rule's priority.</param>
internal sealed record NotificationRow(
    DetectionId Id,
    ParticipantId Participant,
    DateTimeOffset ObservedAt,
    IPAddress Source,
    IPAddress Destination,
    byte Protocol,
    ushort? SourcePort,
    ushort? DestinationPort,
    long Sid,
    string Message,
    string? ClassType,
    int Priority)
{
    /// <summary>When the organization acquired the detection; its JST month is the partition whose retention the row
    /// shares (R7.3). Null for rows written before the field existed: then <see cref="ObservedAt"/> decides, as it did.</summary>
    public DateTimeOffset? AcquiredAt { get; init; }

    /// <summary>The instant whose JST month is the row's partition: <see cref="AcquiredAt"/>, else <see cref="ObservedAt"/>.</summary>
    public DateTimeOffset PartitionInstant => AcquiredAt ?? ObservedAt;

    /// <summary>The kind this row belongs to.</summary>
    public NotificationKind Kind => new(Participant, Sid);

    /// <summary>The row of a detection: its header fields and rule, nothing of the content.</summary>
    /// <param name="detection">The detection.</param>
    /// <returns>The row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="detection"/> is null.</exception>
    public static NotificationRow From(DetectionRecord detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var h = detection.Header;
        var r = detection.Rule;
        return new NotificationRow(detection.Id, detection.Participant, h.ObservedAt.ToUniversalTime(), h.Source, h.Destination, h.Protocol, h.SourcePort, h.DestinationPort, r.Sid, r.Message, r.ClassType, r.Priority)
        {
            AcquiredAt = detection.AcquiredAt.ToUniversalTime(),
        };
    }
}
