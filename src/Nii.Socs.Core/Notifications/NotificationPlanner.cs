using System.Collections.Immutable;
using System.Globalization;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>Decides, without I/O or a clock, which detections are mailed at once, which wait for a digest, and how follow-ups thread (R4.5, R4.6).</summary>
/// <remarks>
/// R4.5: a detection is mailed only when the <see cref="ImportancePolicy"/> says it is important. The first detection
/// of a kind (participant × sid) is mailed at once when the kind has been quiet for a whole
/// <see cref="NotificationSettings.DigestWindow"/> and the participant had fewer than
/// <see cref="NotificationSettings.MaxImmediatePerWindow"/> immediate mails in the last window; every other important
/// detection waits for the participant's digest, sent one window after the first waiting detection. So every important
/// detection is in exactly one mail, and a burst of any size makes a bounded number of mails.
/// <para>R4.6: a follow-up answers the kind's thread: <c>In-Reply-To</c> is the thread's latest Message-ID and
/// <c>References</c> the whole thread, starting with the first mail that carried the kind.</para>
/// <para>Windows are measured on the instants passed in (when the notifier planned), not on observation times, so a
/// replayed capture from last year is mailed like fresh traffic.</para>
/// <para>Edge case: 50 new kinds in one batch under a cap of 10 give 10 immediate mails; the other 40 first detections
/// are in the digest, and a follow-up about one of them answers the digest.</para>
/// </remarks>
internal sealed class NotificationPlanner
{
    /// <summary>Creates a planner.</summary>
    /// <param name="policy">The organization's importance policy.</param>
    /// <param name="settings">Windows, caps and retry delays.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public NotificationPlanner(ImportancePolicy policy, NotificationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(settings);
        Policy = policy;
        Settings = settings;
    }

    /// <summary>The importance policy (R4.5).</summary>
    public ImportancePolicy Policy { get; }

    /// <summary>The settings.</summary>
    public NotificationSettings Settings { get; }

    /// <summary>Plans a batch of detections at an instant (R4.5).</summary>
    /// <param name="state">The notifier's state before the batch.</param>
    /// <param name="detections">The detections, in any order; planned by observation time, then id.</param>
    /// <param name="contacts">A participant's contact addresses (R3.2); empty when it has none.</param>
    /// <param name="now">The planning instant.</param>
    /// <returns>The events to append and the counts.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>R4.5. Edge case: two detections of a new kind in one batch: the earlier is mailed at once, the later waits for the digest.</remarks>
    public NotificationPlan PlanDetections(NotificationState state, IReadOnlyList<DetectionRecord> detections, Func<ParticipantId, ImmutableArray<string>> contacts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(contacts);
        var events = ImmutableArray.CreateBuilder<OutboxEvent>();
        var deferred = new Dictionary<ParticipantId, (ImmutableArray<string> To, ImmutableArray<NotificationRow>.Builder Rows)>();
        var deferredKinds = new HashSet<NotificationKind>();
        var addresses = new Dictionary<ParticipantId, ImmutableArray<string>>();
        int immediate = 0, waiting = 0, notImportant = 0, unreachable = 0;
        if (detections.Any(d => d is null))
        {
            throw new ArgumentNullException(nameof(detections), "A detection is null.");
        }

        var ordered = detections.OrderBy(d => d.Header.ObservedAt).ThenBy(d => d.Id.Value).ToList();
        foreach (var detection in ordered)
        {
            if (!Policy.IsImportant(detection))
            {
                notImportant++;
                continue;
            }

            if (!addresses.TryGetValue(detection.Participant, out var to))
            {
                to = contacts(detection.Participant);
                to = to.IsDefault ? [] : to;
                addresses[detection.Participant] = to;
            }

            if (to.IsEmpty)
            {
                unreachable++;
                continue;
            }

            var row = NotificationRow.From(detection);
            if (!deferredKinds.Contains(row.Kind) && IsQuiet(state, row.Kind, now) && ImmediateRoom(state, row.Participant, now) > 0)
            {
                var mail = new OutboundMail(state.LastMailId + 1, MailKind.Notification, row.Participant, to, NewMessageId(state.LastMailId + 1, row.Participant, now), null, [], now, [row], row.Sid, row.Message, null);
                var queued = new MailQueued(now, mail);
                events.Add(queued);
                state = state.Apply(queued);
                immediate++;
                continue;
            }

            deferredKinds.Add(row.Kind);
            if (!deferred.TryGetValue(row.Participant, out var bucket))
            {
                bucket = (to, ImmutableArray.CreateBuilder<NotificationRow>());
                deferred[row.Participant] = bucket;
            }

            bucket.Rows.Add(row);
            waiting++;
        }

        foreach (var (participant, bucket) in deferred.OrderBy(p => p.Key.Value, StringComparer.Ordinal))
        {
            events.Add(new RowsDeferred(now, participant, bucket.To, bucket.Rows.ToImmutable()));
        }

        return new NotificationPlan(events.ToImmutable(), immediate, waiting, notImportant, unreachable);
    }

    /// <summary>Plans the digests whose window has closed (R4.5).</summary>
    /// <param name="state">The notifier's state.</param>
    /// <param name="now">The planning instant.</param>
    /// <returns>One <see cref="MailQueued"/> per participant whose first waiting detection is a window old or older.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <remarks>R4.5. Edge case: a digest opened at 10:00 with a 1-hour window is due at 11:00:00 exactly, not before.</remarks>
    public ImmutableArray<OutboxEvent> PlanDueDigests(NotificationState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var events = ImmutableArray.CreateBuilder<OutboxEvent>();
        foreach (var (participant, buffer) in state.Digests.OrderBy(p => p.Key.Value, StringComparer.Ordinal))
        {
            if (now - buffer.OpenedAt < Settings.DigestWindow || buffer.Rows.IsDefaultOrEmpty)
            {
                continue;
            }

            var id = state.LastMailId + 1;
            var mail = new OutboundMail(id, MailKind.Digest, participant, buffer.To, NewMessageId(id, participant, now), null, [], now, buffer.Rows, null, null, null);
            var queued = new MailQueued(now, mail);
            events.Add(queued);
            state = state.Apply(queued);
        }

        return events.ToImmutable();
    }

    /// <summary>Plans a follow-up about a kind already mailed, answering its thread (R4.6).</summary>
    /// <param name="state">The notifier's state.</param>
    /// <param name="kind">The kind the follow-up is about.</param>
    /// <param name="text">What staff wrote.</param>
    /// <param name="to">The participant's contact addresses now.</param>
    /// <param name="now">The planning instant.</param>
    /// <param name="queued">The event to append, when the kind has a thread.</param>
    /// <returns>False when no mail has carried the kind yet, or the participant has no contact address.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or <paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">A text of <paramref name="text"/> is empty.</exception>
    /// <remarks>R4.6. Edge case: the second follow-up answers the first follow-up, and its References start with the first notification.</remarks>
    public bool TryPlanFollowUp(NotificationState state, NotificationKind kind, FollowUpText text, ImmutableArray<string> to, DateTimeOffset now, out MailQueued? queued)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(text.Knowledge, nameof(text));
        ArgumentException.ThrowIfNullOrWhiteSpace(text.Countermeasures, nameof(text));
        ArgumentException.ThrowIfNullOrWhiteSpace(text.Staff, nameof(text));
        queued = null;
        if (to.IsDefaultOrEmpty || !state.TryGetThread(kind, out var thread))
        {
            return false;
        }

        var id = state.LastMailId + 1;
        var message = state.Kinds[kind].RuleMessage;
        var mail = new OutboundMail(id, MailKind.FollowUp, kind.Participant, to, NewMessageId(id, kind.Participant, now), thread[^1], thread, now, [], kind.Sid, message, text);
        queued = new MailQueued(now, mail);
        return true;
    }

    /// <summary>Queues the mail that tells a participant's contacts about a procedure (R3.2).</summary>
    /// <param name="state">The notifier's state.</param>
    /// <param name="participant">The participant.</param>
    /// <param name="to">The contact addresses; at least one.</param>
    /// <param name="notice">The text.</param>
    /// <param name="now">When it is queued.</param>
    /// <returns>The event to append.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="to"/> is empty.</exception>
    public MailQueued PlanProcedure(NotificationState state, ParticipantId participant, ImmutableArray<string> to, Participants.Procedures.ProcedureNotice notice, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(notice);
        if (to.IsDefaultOrEmpty)
        {
            throw new ArgumentException("A procedure mail needs at least one address.", nameof(to));
        }

        var id = state.LastMailId + 1;
        var mail = new OutboundMail(id, MailKind.Procedure, participant, to, NewMessageId(id, participant, now), null, [], now, [], null, notice.Title, null) { Notice = notice };
        return new MailQueued(now, mail);
    }

    /// <summary>The mails due for an attempt at an instant, oldest first.</summary>
    /// <param name="state">The notifier's state.</param>
    /// <param name="now">The instant.</param>
    /// <returns>Pending mails whose next attempt is at or before <paramref name="now"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public static IReadOnlyList<PendingMail> DueMails(NotificationState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Pending.Values.Where(p => p.NextAttemptAt <= now).ToList();
    }

    /// <summary>The event recording a failed attempt, with the next attempt after the backoff.</summary>
    /// <param name="pending">The mail that failed.</param>
    /// <param name="now">When it failed.</param>
    /// <param name="reason">Why, one line.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>Edge case: the first failure at 10:00:00 with the defaults retries at 10:00:30, the second at 10:01:30.</remarks>
    public MailFailed Failure(PendingMail pending, DateTimeOffset now, string reason)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(reason);
        var attempt = pending.FailedAttempts + 1;
        var line = reason.ReplaceLineEndings(" ");
        return new MailFailed(now, pending.Mail.Id, attempt, now + Settings.RetryDelayAfter(attempt), line.Length > 500 ? line[..500] : line);
    }

    /// <summary>The next instant at which something is due: a digest closing or a mail's next attempt.</summary>
    /// <param name="state">The notifier's state.</param>
    /// <returns>The instant; null when nothing waits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public DateTimeOffset? NextDue(NotificationState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        DateTimeOffset? next = null;
        foreach (var buffer in state.Digests.Values)
        {
            var due = buffer.OpenedAt + Settings.DigestWindow;
            next = next is null || due < next ? due : next;
        }

        foreach (var pending in state.Pending.Values)
        {
            next = next is null || pending.NextAttemptAt < next ? pending.NextAttemptAt : next;
        }

        return next;
    }

    private bool IsQuiet(NotificationState state, NotificationKind kind, DateTimeOffset now) =>
        !state.Kinds.TryGetValue(kind, out var known) || now - known.LastSeen >= Settings.DigestWindow;

    private int ImmediateRoom(NotificationState state, ParticipantId participant, DateTimeOffset now)
    {
        if (!state.RecentImmediate.TryGetValue(participant, out var recent))
        {
            return Settings.MaxImmediatePerWindow;
        }

        var inWindow = 0;
        foreach (var at in recent)
        {
            if (now - at < Settings.DigestWindow)
            {
                inWindow++;
            }
        }

        return Settings.MaxImmediatePerWindow - inWindow;
    }

    private string NewMessageId(long id, ParticipantId participant, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{id}.{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.{participant}@{Settings.MessageIdDomain}");
}
