using System.Collections.Immutable;

namespace Nii.Socs.Core.Notifications;

/// <summary>What planning a batch of detections decided: events to append, and counts for the operator.</summary>
/// <param name="Events">The outbox events to append, in order.</param>
/// <param name="Immediate">Detections mailed at once.</param>
/// <param name="Deferred">Detections set aside for a digest.</param>
/// <param name="NotImportant">Detections below the importance policy (R4.5), not mailed.</param>
/// <param name="Unreachable">Important detections of participants without contact addresses, not mailed.</param>
internal sealed record NotificationPlan(ImmutableArray<OutboxEvent> Events, int Immediate, int Deferred, int NotImportant, int Unreachable)
{
    /// <summary>A plan that does nothing.</summary>
    public static NotificationPlan None { get; } = new([], 0, 0, 0, 0);
}
