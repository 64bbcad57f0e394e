using System.Collections.Immutable;

namespace Nii.Socs.Core.Notifications;

/// <summary>Detections of one participant waiting for the digest that closes at <see cref="OpenedAt"/> + window.</summary>
/// <param name="OpenedAt">When the first waiting detection was deferred.</param>
/// <param name="To">The contact addresses the digest goes to.</param>
/// <param name="Rows">The waiting detections, in the order deferred.</param>
internal sealed record DigestBuffer(DateTimeOffset OpenedAt, ImmutableArray<string> To, ImmutableArray<NotificationRow> Rows);
