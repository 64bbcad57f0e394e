using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Nii.Socs.Core.Notifications;

/// <summary>What <see cref="OutboxRetention.Reduce"/> made of an outbox.</summary>
/// <param name="Events">The events to keep, in order, rows of ended retention removed.</param>
/// <param name="AffectedMails">Every mail (as first queued) that reported at least one removed row: its stored copies
/// (an <c>.eml</c> file) carry that row's header data and go too.</param>
/// <param name="RowsRemoved">How many rows were removed (from mails and from digest buffers).</param>
/// <param name="Withdrawn">Mails not yet sent that had no row left and were withdrawn.</param>
internal sealed record OutboxReduction(ImmutableArray<OutboxEvent> Events, ImmutableArray<OutboundMail> AffectedMails, int RowsRemoved, int Withdrawn)
{
    /// <summary>Whether the outbox changes.</summary>
    public bool Changed => RowsRemoved > 0;
}

/// <summary>Takes the header data of expired partitions out of the mail outbox (R7.3, R4.5).</summary>
/// <remarks>
/// R7.3: when a partition is deleted, every derived copy of its header data goes with it. An outbox row is a copy of
/// one detection's header (id, addresses, ports, observation instant, rule); it shares the retention of the partition
/// of its acquisition month (<see cref="NotificationRow.PartitionInstant"/>). This pure function keeps every event and
/// every mail, and removes only the expired rows:
/// <list type="bullet">
/// <item>a queued mail keeps its id, kind, recipients, Message-ID, thread and time; its expired rows go, and a
/// notification or digest left without rows also loses its rule id and message;</item>
/// <item>a mail not yet sent that is left without rows is withdrawn (<see cref="MailWithdrawn"/>, appended at
/// <c>at</c>): nothing is left to report;</item>
/// <item>a digest buffer's event (<see cref="RowsDeferred"/>) left without rows is dropped;</item>
/// <item>follow-ups, procedure notices, sent, failed and withdrawn events carry no detection row and are kept.</item>
/// </list>
/// <para>Edge case: a digest with rows of two months loses only the expired month's rows; the remaining rows stay
/// until their own partition expires.</para>
/// </remarks>
internal static class OutboxRetention
{
    /// <summary>The rewrite step of a purge, the same for the FASTER and the PostgreSQL outbox: given every event under
    /// the outbox's lock, reduces them, offers the reduction to <paramref name="beforeRewrite"/> when something ended,
    /// and returns the events to keep (null: nothing to rewrite).</summary>
    /// <param name="expired">Whether a row's retention has ended.</param>
    /// <param name="at">When withdrawals are recorded.</param>
    /// <param name="beforeRewrite">Called before the rewrite, e.g. to delete the stored copies of the affected mails.</param>
    /// <param name="reduction">Holds the last reduction once the step ran.</param>
    /// <returns>The step.</returns>
    public static Func<IReadOnlyList<OutboxEvent>, IReadOnlyList<OutboxEvent>?> PurgeStep(Func<NotificationRow, bool> expired, DateTimeOffset at, Action<OutboxReduction>? beforeRewrite, StrongBox<OutboxReduction?> reduction)
    {
        ArgumentNullException.ThrowIfNull(expired);
        ArgumentNullException.ThrowIfNull(reduction);
        return events =>
        {
            var reduced = Reduce(events, expired, at);
            reduction.Value = reduced;
            if (!reduced.Changed)
            {
                return null;
            }

            beforeRewrite?.Invoke(reduced);
            return reduced.Events;
        };
    }

    /// <summary>Reduces an outbox's events.</summary>
    /// <param name="events">Every event, in log order.</param>
    /// <param name="expired">Whether a row's retention has ended.</param>
    /// <param name="at">When withdrawals are recorded.</param>
    /// <returns>The events to keep and what changed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static OutboxReduction Reduce(IReadOnlyList<OutboxEvent> events, Func<NotificationRow, bool> expired, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(expired);
        var sent = new HashSet<long>();
        foreach (var e in events)
        {
            if (e is MailSent s)
            {
                sent.Add(s.MailId);
            }
            else if (e is MailWithdrawn w)
            {
                sent.Add(w.MailId);
            }
        }

        var kept = ImmutableArray.CreateBuilder<OutboxEvent>(events.Count);
        var affected = ImmutableArray.CreateBuilder<OutboundMail>();
        var withdrawals = new List<OutboxEvent>();
        var removed = 0;
        foreach (var e in events)
        {
            switch (e)
            {
                case MailQueued q when !q.Mail.Rows.IsDefaultOrEmpty && q.Mail.Rows.Any(expired):
                {
                    var rows = q.Mail.Rows.RemoveAll(r => expired(r));
                    removed += q.Mail.Rows.Length - rows.Length;
                    affected.Add(q.Mail);
                    var mail = q.Mail with { Rows = rows };
                    if (rows.IsEmpty && q.Mail.Kind is MailKind.Notification or MailKind.Digest)
                    {
                        mail = mail with { Sid = null, RuleMessage = null };
                        if (!sent.Contains(q.Mail.Id))
                        {
                            withdrawals.Add(new MailWithdrawn(at, q.Mail.Id));
                        }
                    }

                    kept.Add(q with { Mail = mail });
                    break;
                }

                case RowsDeferred d when !d.Rows.IsDefaultOrEmpty && d.Rows.Any(expired):
                {
                    var rows = d.Rows.RemoveAll(r => expired(r));
                    removed += d.Rows.Length - rows.Length;
                    if (!rows.IsEmpty)
                    {
                        kept.Add(d with { Rows = rows });
                    }

                    break;
                }

                default:
                    kept.Add(e);
                    break;
            }
        }

        kept.AddRange(withdrawals);
        return new OutboxReduction(kept.ToImmutable(), affected.ToImmutable(), removed, withdrawals.Count);
    }
}
