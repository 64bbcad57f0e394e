using System.Globalization;
using System.Text;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Notifications;

/// <summary>Writes the subject and body of an <see cref="OutboundMail"/>: Japanese and English in one mail, header information only (R4.5, R4.6).</summary>
/// <remarks>
/// R4.5, R4.6, R2.1: the body is built from <see cref="NotificationRow"/>s, which hold no content; it lists each
/// detection's time in JST, addresses, protocol, ports and rule, then a link to the portal. Beyond
/// <see cref="MaxRows"/> rows, the remaining detections are counted per rule with their first and last time, so a
/// digest of any size stays readable. Control characters in rule messages and staff text (other than line breaks in
/// staff text) are replaced by spaces, so no text can forge a header line.
/// <para>Edge case: a detection observed at 2026-11-30T20:00:00Z is listed as <c>2026-12-01 05:00:00</c> (JST).</para>
/// </remarks>
public sealed class MailComposer
{
    private const string Tag = "[NII-SOCS]";

    /// <summary>Creates a composer.</summary>
    /// <param name="portalUrl">The portal's address, shown in every mail (such as <c>https://portal.example.ac.jp/</c>).</param>
    /// <param name="maxRows">Detections listed row by row, 1 or more.</param>
    /// <exception cref="ArgumentException"><paramref name="portalUrl"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRows"/> is below 1.</exception>
    public MailComposer(string portalUrl, int maxRows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(portalUrl);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        PortalUrl = portalUrl;
        MaxRows = maxRows;
    }

    /// <summary>The portal's address shown in mails.</summary>
    public string PortalUrl { get; }

    /// <summary>Detections listed row by row in one mail.</summary>
    public int MaxRows { get; }

    /// <summary>The protocol's name for a table: TCP, UDP, ICMP, ICMPv6, or the number.</summary>
    /// <param name="protocol">The IANA protocol number.</param>
    /// <returns>The name.</returns>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        1 => "ICMP",
        6 => "TCP",
        17 => "UDP",
        58 => "ICMPv6",
        132 => "SCTP",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Composes a mail's subject and body.</summary>
    /// <param name="mail">The mail.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mail"/> is null.</exception>
    public ComposedMail Compose(OutboundMail mail)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var body = new StringBuilder();
        string subject;
        switch (mail.Kind)
        {
            case MailKind.Notification:
                subject = $"{Tag} 検知通知 / Detection notice: {OneLine(mail.RuleMessage)} (sid {mail.Sid}) - {mail.Participant}";
                Line(body, $"{mail.Participant} ご担当者様 / To the contacts of {mail.Participant}");
                Line(body);
                Line(body, "NII-SOCS が重要と判断した検知をお知らせします。同じ種類の検知が続く場合は、まとめて後ほどお知らせします。");
                Line(body, "NII-SOCS has detected traffic it judges important. Further detections of the same kind are sent together in a digest.");
                break;
            case MailKind.Digest:
                subject = $"{Tag} 検知まとめ / Detection digest: {mail.Rows.Length} 件 detection(s) - {mail.Participant}";
                Line(body, $"{mail.Participant} ご担当者様 / To the contacts of {mail.Participant}");
                Line(body);
                Line(body, "前回のお知らせ以降に NII-SOCS が重要と判断した検知をまとめてお知らせします。");
                Line(body, "These are the important detections NII-SOCS has seen since the previous notice, collected into one digest.");
                break;
            case MailKind.FollowUp:
                subject = $"Re: {Tag} 追加情報 / Follow-up: {OneLine(mail.RuleMessage)} (sid {mail.Sid}) - {mail.Participant}";
                Line(body, $"{mail.Participant} ご担当者様 / To the contacts of {mail.Participant}");
                Line(body);
                Line(body, "先にお知らせした攻撃について、NII-SOCS からの追加情報です。");
                Line(body, "This is follow-up information from NII-SOCS about an attack notified earlier.");
                Line(body);
                Line(body, "■ 把握している情報 / What we know");
                Line(body, Text(mail.FollowUp?.Knowledge));
                Line(body);
                Line(body, "■ 一般的な対策 / General countermeasures");
                Line(body, Text(mail.FollowUp?.Countermeasures));
                break;
            case MailKind.Procedure:
                subject = $"{Tag} 手続き / Procedure: {OneLine(mail.Notice?.Title ?? mail.RuleMessage)} - {mail.Participant}";
                Line(body, $"{mail.Participant} ご担当者様 / To the contacts of {mail.Participant}");
                Line(body);
                Line(body, Text(mail.Notice?.Japanese));
                Line(body);
                Line(body, Text(mail.Notice?.English));
                break;
            default:
                throw new ArgumentException($"Unknown mail kind {mail.Kind}.", nameof(mail));
        }

        if (mail.Kind != MailKind.Procedure)
        {
            Line(body);
            Line(body, "本メールには通信のヘッダ情報のみを記載しており、通信内容は含みません。");
            Line(body, "This mail carries header information only; it never contains communication content.");
        }

        if (!mail.Rows.IsDefaultOrEmpty)
        {
            Table(body, mail);
        }

        Line(body);
        Line(body, $"詳細はサービスポータルでご確認ください / Details are on the service portal: {PortalUrl}");
        Line(body);
        Line(body, "-- ");
        Line(body, "NII-SOCS (国立情報学研究所 セキュリティ運用連携サービス / NII Security Operation Collaboration Service)");
        return new ComposedMail(subject, body.ToString());
    }

    private void Table(StringBuilder body, OutboundMail mail)
    {
        Line(body);
        Line(body, $"■ 検知一覧 / Detections ({mail.Rows.Length} 件, 時刻は JST / times in JST)");
        Line(body, "time (JST)          | src | dst | proto | sport | dport | sid | msg | classtype | priority");
        var listed = Math.Min(MaxRows, mail.Rows.Length);
        for (var i = 0; i < listed; i++)
        {
            var r = mail.Rows[i];
            Line(body, string.Create(CultureInfo.InvariantCulture, $"{Jst.ToJst(r.ObservedAt):yyyy-MM-dd HH:mm:ss} | {r.Source} | {r.Destination} | {ProtocolName(r.Protocol)} | {Port(r.SourcePort)} | {Port(r.DestinationPort)} | {r.Sid} | {OneLine(r.Message)} | {OneLine(r.ClassType ?? "-")} | {r.Priority}"));
        }

        if (listed == mail.Rows.Length)
        {
            return;
        }

        Line(body);
        Line(body, string.Create(CultureInfo.InvariantCulture, $"ほか {mail.Rows.Length - listed} 件をルールごとに集計 / {mail.Rows.Length - listed} more, counted per rule:"));
        Line(body, "sid | count | first (JST) | last (JST) | msg");
        foreach (var group in mail.Rows.Skip(listed).GroupBy(r => r.Sid).OrderBy(g => g.Key))
        {
            var first = group.Min(r => r.ObservedAt);
            var last = group.Max(r => r.ObservedAt);
            Line(body, string.Create(CultureInfo.InvariantCulture, $"{group.Key} | {group.Count()} | {Jst.ToJst(first):yyyy-MM-dd HH:mm:ss} | {Jst.ToJst(last):yyyy-MM-dd HH:mm:ss} | {OneLine(group.First().Message)}"));
        }
    }

    private static string Port(ushort? port) => port?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static void Line(StringBuilder body, string text = "") => body.Append(text).Append('\n');

    private static string OneLine(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "-";
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }

    private static string Text(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "-";
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text.ReplaceLineEndings("\n"))
        {
            builder.Append(c == '\n' || !char.IsControl(c) ? c : ' ');
        }

        return builder.ToString().TrimEnd('\n');
    }
}
