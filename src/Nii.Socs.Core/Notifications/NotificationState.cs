using System.Collections.Immutable;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>The notifier's state: a pure fold of <see cref="OutboxEvent"/>s (R4.5, R4.6).</summary>
/// <remarks>
/// Immutable: <see cref="Apply"/> returns a new state. It holds the kinds seen and their threads, the detections
/// waiting for each participant's digest, the last immediate mails per participant (for the flood cap) and the mails
/// not yet sent. Sent mails leave the state; the log keeps them.
/// <para>Edge case: a kind mailed at once again after a quiet window starts a new thread; follow-ups from then on
/// answer the new first mail.</para>
/// </remarks>
internal sealed record NotificationState
{
    /// <summary>How many immediate-mail instants are kept per participant; at least <see cref="NotificationSettings.MaxImmediateLimit"/>.</summary>
    internal const int ImmediateHistory = NotificationSettings.MaxImmediateLimit;

    /// <summary>The state before any event.</summary>
    public static NotificationState Empty { get; } = new();

    /// <summary>The highest mail id queued so far; 0 before any.</summary>
    public long LastMailId { get; init; }

    /// <summary>Mails sent so far.</summary>
    public long SentCount { get; init; }

    /// <summary>What is known of each kind.</summary>
    public ImmutableDictionary<NotificationKind, KindState> Kinds { get; init; } = ImmutableDictionary<NotificationKind, KindState>.Empty;

    /// <summary>Detections waiting for a digest, per participant.</summary>
    public ImmutableDictionary<ParticipantId, DigestBuffer> Digests { get; init; } = ImmutableDictionary<ParticipantId, DigestBuffer>.Empty;

    /// <summary>Instants of the latest immediate mails per participant, oldest first (at most 64).</summary>
    public ImmutableDictionary<ParticipantId, ImmutableArray<DateTimeOffset>> RecentImmediate { get; init; } = ImmutableDictionary<ParticipantId, ImmutableArray<DateTimeOffset>>.Empty;

    /// <summary>Mails queued and not yet sent, by id.</summary>
    public ImmutableSortedDictionary<long, PendingMail> Pending { get; init; } = ImmutableSortedDictionary<long, PendingMail>.Empty;

    /// <summary>Folds events from <see cref="Empty"/>.</summary>
    /// <param name="events">The events in log order.</param>
    /// <returns>The state after all of them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public static NotificationState Fold(IEnumerable<OutboxEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = Empty;
        foreach (var e in events)
        {
            state = state.Apply(e);
        }

        return state;
    }

    /// <summary>The state after one more event.</summary>
    /// <param name="e">The event.</param>
    /// <returns>A new state, or this one when the event changes nothing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="e"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="e"/> is of an unknown type.</exception>
    public NotificationState Apply(OutboxEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            MailQueued q => Queue(q.Mail),
            RowsDeferred d => Defer(d),
            MailSent s => Pending.ContainsKey(s.MailId)
                ? this with { Pending = Pending.Remove(s.MailId), SentCount = SentCount + 1 }
                : this,
            MailWithdrawn w => this with { Pending = Pending.Remove(w.MailId) },
            MailFailed f => Pending.TryGetValue(f.MailId, out var pending)
                ? this with { Pending = Pending.SetItem(f.MailId, pending with { FailedAttempts = f.Attempt, NextAttemptAt = f.RetryAt, LastError = f.Reason }) }
                : this,
            _ => throw new ArgumentException($"Unknown outbox event {e.GetType().Name}.", nameof(e)),
        };
    }

    /// <summary>The thread a follow-up about a kind answers: its first mail, then earlier follow-ups.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="thread">The Message-IDs, oldest first, when the kind was mailed.</param>
    /// <returns>False when no mail has carried the kind yet.</returns>
    public bool TryGetThread(NotificationKind kind, out ImmutableArray<string> thread)
    {
        if (Kinds.TryGetValue(kind, out var state) && !state.Thread.IsDefaultOrEmpty)
        {
            thread = state.Thread;
            return true;
        }

        thread = [];
        return false;
    }

    private NotificationState Queue(OutboundMail mail)
    {
        if (Pending.ContainsKey(mail.Id) || mail.Id <= LastMailId)
        {
            return this;
        }

        var next = this with
        {
            LastMailId = mail.Id,
            Pending = Pending.Add(mail.Id, new PendingMail(mail, 0, mail.CreatedAt, null)),
        };
        switch (mail.Kind)
        {
            case MailKind.Notification when mail.Sid is { } sid:
            {
                var kind = new NotificationKind(mail.Participant, sid);
                var recent = RecentImmediate.TryGetValue(mail.Participant, out var list) ? list : [];
                if (recent.Length >= ImmediateHistory)
                {
                    recent = recent.RemoveAt(0);
                }

                return next with
                {
                    Kinds = Kinds.SetItem(kind, new KindState(mail.CreatedAt, [mail.MessageId], mail.RuleMessage ?? string.Empty)),
                    RecentImmediate = RecentImmediate.SetItem(mail.Participant, recent.Add(mail.CreatedAt)),
                };
            }

            case MailKind.Digest:
            {
                var kinds = next.Kinds.ToBuilder();
                foreach (var row in mail.Rows)
                {
                    if (!kinds.TryGetValue(row.Kind, out var known))
                    {
                        kinds[row.Kind] = new KindState(mail.CreatedAt, [mail.MessageId], row.Message);
                    }
                    else if (known.Thread.IsDefaultOrEmpty)
                    {
                        kinds[row.Kind] = known with { Thread = [mail.MessageId] };
                    }
                }

                return next with { Kinds = kinds.ToImmutable(), Digests = Digests.Remove(mail.Participant) };
            }

            case MailKind.FollowUp when mail.Sid is { } sid:
            {
                var kind = new NotificationKind(mail.Participant, sid);
                return Kinds.TryGetValue(kind, out var known)
                    ? next with { Kinds = Kinds.SetItem(kind, known with { Thread = known.Thread.Add(mail.MessageId) }) }
                    : next;
            }

            default:
                return next;
        }
    }

    private NotificationState Defer(RowsDeferred d)
    {
        if (d.Rows.IsDefaultOrEmpty)
        {
            return this;
        }

        var kinds = Kinds.ToBuilder();
        foreach (var row in d.Rows)
        {
            kinds[row.Kind] = kinds.TryGetValue(row.Kind, out var known)
                ? known with { LastSeen = d.At, RuleMessage = row.Message }
                : new KindState(d.At, [], row.Message);
        }

        var buffer = Digests.TryGetValue(d.Participant, out var open)
            ? open with { To = d.To, Rows = open.Rows.AddRange(d.Rows) }
            : new DigestBuffer(d.At, d.To, d.Rows);
        return this with { Kinds = kinds.ToImmutable(), Digests = Digests.SetItem(d.Participant, buffer) };
    }
}
