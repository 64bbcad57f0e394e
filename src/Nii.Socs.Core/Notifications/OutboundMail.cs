using System.Collections.Immutable;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>One mail the notifier decided to send: who, which thread, which detections; composed into text by <see cref="MailComposer"/>.</summary>
/// <remarks>
/// R4.5, R4.6. A mail holds <see cref="NotificationRow"/>s (header information only), never content. Its
/// <see cref="MessageId"/> is fixed when queued, so a retried mail keeps its identity and its replies thread to it.
/// <para>Edge case: a follow-up to a kind first carried by a digest has <see cref="InReplyTo"/> = the digest's Message-ID.</para>
/// </remarks>
/// <param name="Id">The outbox sequence number, from 1.</param>
/// <param name="Kind">Notification, digest or follow-up.</param>
/// <param name="Participant">The participant it concerns.</param>
/// <param name="To">The participant's contact addresses when queued (R3.2).</param>
/// <param name="MessageId">The Message-ID without angle brackets, such as <c>42.20261130T110000Z.u-tokyo@socs.invalid</c>.</param>
/// <param name="InReplyTo">The Message-ID this mail answers; null unless a follow-up.</param>
/// <param name="References">The thread, oldest first, ending with <see cref="InReplyTo"/>; empty unless a follow-up.</param>
/// <param name="CreatedAt">When it was queued (UTC); also its Date header.</param>
/// <param name="Rows">The detections it reports; empty for a follow-up.</param>
/// <param name="Sid">The rule of a notification or follow-up; null for a digest.</param>
/// <param name="RuleMessage">The rule's <c>msg</c> for a notification or follow-up; null for a digest.</param>
/// <param name="FollowUp">The staff text of a follow-up; null otherwise.</param>
internal sealed record OutboundMail(
    long Id,
    MailKind Kind,
    ParticipantId Participant,
    ImmutableArray<string> To,
    string MessageId,
    string? InReplyTo,
    ImmutableArray<string> References,
    DateTimeOffset CreatedAt,
    ImmutableArray<NotificationRow> Rows,
    long? Sid,
    string? RuleMessage,
    FollowUpText? FollowUp)
{
    /// <summary>The text of a procedure mail (<see cref="MailKind.Procedure"/>); null otherwise.</summary>
    public Participants.Procedures.ProcedureNotice? Notice { get; init; }

    /// <summary>The operation-history action for a successful send: <c>mail.sent</c>, <c>mail.digest.sent</c>, <c>mail.followup.sent</c> or <c>mail.procedure.sent</c>.</summary>
    public string SentAction => Kind switch
    {
        MailKind.Digest => "mail.digest.sent",
        MailKind.FollowUp => "mail.followup.sent",
        MailKind.Procedure => "mail.procedure.sent",
        _ => "mail.sent",
    };

    /// <summary>The subject used in the operation history: <c>mail/&lt;participant&gt;/&lt;id&gt;</c>.</summary>
    public string HistorySubject => $"mail/{Participant}/{Id}";
}
