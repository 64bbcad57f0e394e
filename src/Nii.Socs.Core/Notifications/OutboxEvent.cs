using System.Collections.Immutable;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>One fact of the mail outbox; the notifier's whole state is a pure fold of these (<see cref="NotificationState"/>).</summary>
/// <remarks>
/// A closed family: <see cref="MailQueued"/>, <see cref="RowsDeferred"/>, <see cref="MailSent"/>,
/// <see cref="MailFailed"/> and <see cref="MailWithdrawn"/>. The storage appends them to a log and commits before acknowledging, so after a restart the
/// fold gives back every queued mail not yet sent and every detection waiting for its digest (R4.5).
/// <para>Edge case: a <see cref="MailSent"/> for an unknown or already sent mail changes nothing.</para>
/// </remarks>
internal abstract record OutboxEvent
{
    private protected OutboxEvent(DateTimeOffset at) => At = at;

    /// <summary>When the fact was recorded (UTC).</summary>
    public DateTimeOffset At { get; }
}

/// <summary>A mail was queued for sending.</summary>
/// <param name="At">When.</param>
/// <param name="Mail">The mail.</param>
internal sealed record MailQueued(DateTimeOffset At, OutboundMail Mail) : OutboxEvent(At);

/// <summary>Important detections were set aside for the participant's next digest (R4.5).</summary>
/// <param name="At">When.</param>
/// <param name="Participant">The participant.</param>
/// <param name="To">The participant's contact addresses at that time; the digest goes to the latest.</param>
/// <param name="Rows">The detections.</param>
internal sealed record RowsDeferred(DateTimeOffset At, ParticipantId Participant, ImmutableArray<string> To, ImmutableArray<NotificationRow> Rows) : OutboxEvent(At);

/// <summary>A mail was accepted by the SMTP server (or written as a file).</summary>
/// <param name="At">When.</param>
/// <param name="MailId">The mail's id.</param>
internal sealed record MailSent(DateTimeOffset At, long MailId) : OutboxEvent(At);

/// <summary>Sending a mail failed; it is retried at <paramref name="RetryAt"/>.</summary>
/// <param name="At">When.</param>
/// <param name="MailId">The mail's id.</param>
/// <param name="Attempt">Failures so far, from 1.</param>
/// <param name="RetryAt">When to try again.</param>
/// <param name="Reason">The error, one line.</param>
internal sealed record MailFailed(DateTimeOffset At, long MailId, int Attempt, DateTimeOffset RetryAt, string Reason) : OutboxEvent(At);

/// <summary>A mail not yet sent was withdrawn: the retention of every detection it reported ended first (R7.3), and its
/// rows went with their partition (<see cref="OutboxRetention"/>).</summary>
/// <param name="At">When.</param>
/// <param name="MailId">The mail's id.</param>
internal sealed record MailWithdrawn(DateTimeOffset At, long MailId) : OutboxEvent(At);
