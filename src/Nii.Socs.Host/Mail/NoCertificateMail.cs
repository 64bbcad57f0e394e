using System.Collections.Immutable;
using System.Globalization;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Procedures;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Mail;

/// <summary>Tells a participant's contacts and staff that the participant has no active certificate in an epoch (R8.1).</summary>
/// <remarks>The mails go through the procedure path (<see cref="Notifier.ProcedureAsync"/>, bilingual, Japanese first).
/// Once per participant and epoch, also across restarts: the history entry <see cref="MailedAction"/> records that both
/// were queued, and a later call for the same epoch finds it and queues nothing. Edge case: a crash between queuing and
/// that entry queues them again at the next start (at least once, never lost).</remarks>
internal static class NoCertificateMail
{
    /// <summary>The history action written once both mails of an epoch are queued.</summary>
    public const string MailedAction = "keys.no-certificate.mailed";

    /// <summary>Queues the two mails unless the history shows they were queued for this epoch already.</summary>
    /// <returns>The number of mails queued (0, 1 or 2).</returns>
    public static async Task<int> QueueAsync(SocsData data, Notifier notifier, string staff, ParticipantId participant, EpochId epoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(notifier);
        var subject = $"keys/{participant}/{epoch.Index.ToString(CultureInfo.InvariantCulture)}";
        if (data.History.Entries().Any(e => e.Action == MailedAction && e.Subject == subject))
        {
            return 0;
        }

        var contacts = data.Registry.State.Participants.TryGetValue(participant, out var entry) ? entry.Contacts : [];
        var notice = Notice(participant, data.Schedule.StartOf(epoch), data.Schedule.EndOf(epoch));
        var toContacts = await notifier.ProcedureAsync(participant, contacts, notice, cancellationToken).ConfigureAwait(false);
        var toStaff = staff.Length == 0 ? null : await notifier.ProcedureAsync(participant, [staff], notice, cancellationToken).ConfigureAwait(false);
        await data.History.AppendAsync(
            "system:mail",
            MailedAction,
            subject,
            $"no-certificate notice queued: contacts mail {(toContacts is null ? "none (no contact address)" : "#" + toContacts.Id.ToString(CultureInfo.InvariantCulture))}, staff mail {(toStaff is null ? "none" : "#" + toStaff.Id.ToString(CultureInfo.InvariantCulture))} (R8.1)",
            cancellationToken).ConfigureAwait(false);
        return (toContacts is null ? 0 : 1) + (toStaff is null ? 0 : 1);
    }

    /// <summary>The text: what the state is, what is (not) stored, and what ends it.</summary>
    public static ProcedureNotice Notice(ParticipantId participant, DateTimeOffset start, DateTimeOffset end)
    {
        var from = Jst.ToJst(start).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var to = Jst.ToJst(end).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return new ProcedureNotice(
            "有効な証明書なし / No active certificate",
            $"参加組織 {participant} には有効な運用担当者証明書がありません（期間 {from} から {to} JST）。この期間の鍵は作られず、検知はヘッダのみ保存され、内容は保存されません。証明書を登録すると次の期間から内容の保存が再開されます（R8.1）。",
            $"Participant {participant} has no active operator certificate for the epoch {from} to {to} JST. No key is made for this epoch: detections are stored with headers only and their content is not kept. Enrol a certificate to resume storing content (R8.1).");
    }
}
