using System.Globalization;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Mail;

/// <summary>The mail's copies of detection header data, which go with their partition (R7.3): the outbox's rows and
/// the <c>.eml</c> files under <c>&lt;data&gt;/mail/</c>.</summary>
/// <remarks>
/// A row expires with the partition of its acquisition month (<see cref="NotificationRow.PartitionInstant"/>). The
/// <c>.eml</c> file of every mail that reported an expired row is deleted whole (a copy of what was sent, it cannot be
/// reduced and stay a true copy); then the outbox is rewritten without the expired rows (<see cref="OutboxRetention"/>:
/// each mail's id, kind, recipients, Message-ID and time stay, so threads and numbering are unchanged). The files go
/// first, so a crash between the two repeats the same reduction on the next sweep.
/// <para>The outbox is the data directory's (FASTER, purged by the local sweep) or, on the PostgreSql provider, the
/// cluster's (purged by the cluster's sweep, whose erasure rounds then end the old rows' WAL copies on every node); the
/// <c>.eml</c> files are always this host's.</para>
/// </remarks>
internal sealed class MailCopies(IMailOutbox outbox, string mailDirectory) : IDerivedCopies
{
    public async Task<string?> PurgeAsync(RetentionSchedule schedule, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var files = 0;
        var reduction = await outbox.PurgeAsync(
            row => schedule.IsExpired(row.Participant, JstMonth.Of(row.PartitionInstant), at),
            at,
            r => files = DeleteCopies(r.AffectedMails),
            cancellationToken).ConfigureAwait(false);
        return reduction.Changed
            ? string.Create(CultureInfo.InvariantCulture, $"outbox: {reduction.RowsRemoved} expired row(s) removed from {reduction.AffectedMails.Length} mail(s) and the digest buffers, {reduction.Withdrawn} unsent mail(s) withdrawn, {files} .eml cop(y/ies) deleted")
            : null;
    }

    private int DeleteCopies(IEnumerable<OutboundMail> mails)
    {
        var deleted = 0;
        foreach (var mail in mails)
        {
            var path = Path.Combine(mailDirectory, EmlMailTransport.FileNameOf(mail));
            foreach (var file in new[] { path, path + ".tmp" })
            {
                if (File.Exists(file))
                {
                    File.Delete(file);
                    deleted++;
                }
            }
        }

        return deleted;
    }
}
