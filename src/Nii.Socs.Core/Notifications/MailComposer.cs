using System.Globalization;
using System.Text;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Notifications;

/// <summary>Writes the subject and body of an <see cref="OutboundMail"/>: Japanese and English in one mail, header information only (R4.5, R4.6).</summary>
/// <remarks>
/// R4.5, R4.6, R2.1: the body is built from <see cref="NotificationRow"/>s, which hold no content; it lists each
/// detection's time in JST, addresses, protocol, ports and rule in aligned columns, then a link to each detection's
/// portal page (<see cref="DetectionUrl"/>). The same text is also composed as HTML, for the mail's
/// <c>multipart/alternative</c> HTML part. Beyond
/// <see cref="MaxRows"/> rows, the remaining detections are counted per rule with their first and last time, so a
/// digest of any size stays readable. Control characters in rule messages and staff text (other than line breaks in
/// staff text) are replaced by spaces, so no text can forge a header line.
/// <para>Edge case: a detection observed at 2026-11-30T20:00:00Z is listed as <c>2026-12-01 05:00:00</c> (JST).</para>
/// </remarks>
internal sealed class MailComposer
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

    /// <summary>The portal page of one detection: <see cref="PortalUrl"/> followed by <c>detections/ID</c>.</summary>
    /// <param name="row">The detection.</param>
    /// <returns>The absolute address.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="row"/> is null.</exception>
    public string DetectionUrl(NotificationRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return PortalUrl.TrimEnd('/') + "/detections/" + row.Id;
    }

    /// <summary>Composes a mail's subject, plain-text body and HTML body.</summary>
    /// <param name="mail">The mail.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mail"/> is null.</exception>
    public ComposedMail Compose(OutboundMail mail)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var body = new StringBuilder();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>NII-SOCS</title></head>")
            .Append("<body style=\"font-family:sans-serif;font-size:14px;line-height:1.5;color:#1b1f24;max-width:60rem\">");
        void Both(string ja, string en)
        {
            Line(body, ja);
            Line(body, en);
            html.Append("<p>").Append(H(ja)).Append("<br><span style=\"color:#57606a\">").Append(H(en)).Append("</span></p>");
        }

        void Heading(string text)
        {
            Line(body);
            Line(body, "■ " + text);
            html.Append("<h3 style=\"font-size:15px;margin:1.2em 0 .4em\">").Append(H(text)).Append("</h3>");
        }

        string subject;
        switch (mail.Kind)
        {
            case MailKind.Notification:
                subject = $"{Tag} 検知通知 / Detection notice: {OneLine(mail.RuleMessage)} (sid {mail.Sid}) - {mail.Participant}";
                Both($"{mail.Participant} ご担当者様", $"To the contacts of {mail.Participant}");
                Line(body);
                Both(
                    "NII-SOCS が重要と判断した検知をお知らせします。同じ種類の検知が続く場合は、まとめて後ほどお知らせします。",
                    "NII-SOCS has detected traffic it judges important. Further detections of the same kind are sent together in a digest.");
                break;
            case MailKind.Digest:
                subject = $"{Tag} 検知まとめ / Detection digest: {mail.Rows.Length} 件 detection(s) - {mail.Participant}";
                Both($"{mail.Participant} ご担当者様", $"To the contacts of {mail.Participant}");
                Line(body);
                Both(
                    "前回のお知らせ以降に NII-SOCS が重要と判断した検知をまとめてお知らせします。",
                    "These are the important detections NII-SOCS has seen since the previous notice, collected into one digest.");
                break;
            case MailKind.FollowUp:
                subject = $"Re: {Tag} 追加情報 / Follow-up: {OneLine(mail.RuleMessage)} (sid {mail.Sid}) - {mail.Participant}";
                Both($"{mail.Participant} ご担当者様", $"To the contacts of {mail.Participant}");
                Line(body);
                Both("先にお知らせした攻撃について、NII-SOCS からの追加情報です。", "This is follow-up information from NII-SOCS about an attack notified earlier.");
                Heading("把握している情報 / What we know");
                Line(body, Text(mail.FollowUp?.Knowledge));
                html.Append("<p style=\"white-space:pre-wrap\">").Append(H(Text(mail.FollowUp?.Knowledge))).Append("</p>");
                Heading("一般的な対策 / General countermeasures");
                Line(body, Text(mail.FollowUp?.Countermeasures));
                html.Append("<p style=\"white-space:pre-wrap\">").Append(H(Text(mail.FollowUp?.Countermeasures))).Append("</p>");
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
            Both("本メールには通信のヘッダ情報のみを記載しており、通信内容は含みません。", "This mail carries header information only; it never contains communication content.");
        }

        if (!mail.Rows.IsDefaultOrEmpty)
        {
            Heading(string.Create(CultureInfo.InvariantCulture, $"検知一覧 / Detections ({mail.Rows.Length} 件, 時刻は JST / times in JST)"));
            Table(body, html, mail);
        }

        Line(body);
        Line(body, "詳細はサービスポータルでご確認ください / Details are on the service portal:");
        Line(body, PortalUrl);
        html.Append("<p>詳細はサービスポータルでご確認ください / Details are on the service portal: <a href=\"").Append(H(PortalUrl)).Append("\">").Append(H(PortalUrl)).Append("</a></p>");
        Line(body);
        Line(body, "-- ");
        Line(body, "NII-SOCS (国立情報学研究所 セキュリティ運用連携サービス / NII Security Operation Collaboration Service)");
        html.Append("<p style=\"color:#57606a;border-top:1px solid #d0d7de;padding-top:.5em\">NII-SOCS (国立情報学研究所 セキュリティ運用連携サービス / NII Security Operation Collaboration Service)</p></body></html>");
        return new ComposedMail(subject, body.ToString()) { Html = html.ToString() };
    }

    private static readonly string[] Columns = ["#", "time (JST)", "src", "sport", "dst", "dport", "proto", "sid", "prio", "classtype", "msg"];
    private static readonly int[] RightAligned = [0, 3, 5, 7, 8];

    private void Table(StringBuilder body, StringBuilder html, OutboundMail mail)
    {
        var listed = Math.Min(MaxRows, mail.Rows.Length);
        var rows = new List<string[]>(listed);
        for (var i = 0; i < listed; i++)
        {
            var r = mail.Rows[i];
            rows.Add([
                (i + 1).ToString(CultureInfo.InvariantCulture), Time(r.ObservedAt), r.Source.ToString(), Port(r.SourcePort), r.Destination.ToString(),
                Port(r.DestinationPort), ProtocolName(r.Protocol), r.Sid.ToString(CultureInfo.InvariantCulture), r.Priority.ToString(CultureInfo.InvariantCulture),
                OneLine(r.ClassType ?? "-"), OneLine(r.Message)]);
        }

        Aligned(body, Columns, rows, RightAligned);
        Line(body);
        Line(body, "各検知のページ / Each detection's page:");
        html.Append("<table style=\"border-collapse:collapse;font-size:13px\"><tr>");
        foreach (var c in Columns)
        {
            html.Append("<th style=\"border:1px solid #d0d7de;background:#eef1f4;padding:2px 6px;text-align:left\">").Append(H(c)).Append("</th>");
        }

        html.Append("</tr>");
        for (var i = 0; i < listed; i++)
        {
            var url = DetectionUrl(mail.Rows[i]);
            Line(body, string.Create(CultureInfo.InvariantCulture, $"[{i + 1}] {url}"));
            html.Append("<tr>");
            for (var c = 0; c < Columns.Length; c++)
            {
                html.Append("<td style=\"border:1px solid #d0d7de;padding:2px 6px").Append(c < 9 ? ";white-space:nowrap" : string.Empty).Append(Array.IndexOf(RightAligned, c) >= 0 ? ";text-align:right" : string.Empty).Append("\">");
                if (c == 1)
                {
                    html.Append("<a href=\"").Append(H(url)).Append("\">").Append(H(rows[i][c])).Append("</a>");
                }
                else
                {
                    html.Append(H(rows[i][c]));
                }

                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
        if (listed == mail.Rows.Length)
        {
            return;
        }

        var rest = mail.Rows.Length - listed;
        Line(body);
        Line(body, string.Create(CultureInfo.InvariantCulture, $"ほか {rest} 件をルールごとに集計 / {rest} more, counted per rule:"));
        html.Append("<p>").Append(H(string.Create(CultureInfo.InvariantCulture, $"ほか {rest} 件をルールごとに集計 / {rest} more, counted per rule:"))).Append("</p>");
        string[] header = ["sid", "count", "first (JST)", "last (JST)", "msg"];
        var groups = mail.Rows.Skip(listed).GroupBy(r => r.Sid).OrderBy(g => g.Key)
            .Select(g => new[]
            {
                g.Key.ToString(CultureInfo.InvariantCulture), g.Count().ToString(CultureInfo.InvariantCulture),
                Time(g.Min(r => r.ObservedAt)), Time(g.Max(r => r.ObservedAt)), OneLine(g.First().Message),
            }).ToList();
        Aligned(body, header, groups, [0, 1]);
        html.Append("<table style=\"border-collapse:collapse;font-size:13px\"><tr>");
        foreach (var c in header)
        {
            html.Append("<th style=\"border:1px solid #d0d7de;background:#eef1f4;padding:2px 6px;text-align:left\">").Append(H(c)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var g in groups)
        {
            html.Append("<tr>");
            foreach (var cell in g)
            {
                html.Append("<td style=\"border:1px solid #d0d7de;padding:2px 6px;white-space:nowrap\">").Append(H(cell)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    /// <summary>Columns padded to their widest cell (East Asian wide characters count two), numbers to the right.</summary>
    private static void Aligned(StringBuilder body, string[] header, List<string[]> rows, int[] right)
    {
        var widths = new int[header.Length];
        foreach (var row in rows.Prepend(header))
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], TextWidth.Of(row[i]));
            }
        }

        var line = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            line.Clear();
            for (var i = 0; i < widths.Length; i++)
            {
                var pad = new string(' ', widths[i] - TextWidth.Of(row[i]));
                line.Append(Array.IndexOf(right, i) >= 0 ? pad + row[i] : row[i] + pad);
                if (i < widths.Length - 1)
                {
                    line.Append("  ");
                }
            }

            Line(body, line.ToString().TrimEnd());
        }
    }

    private static string Time(DateTimeOffset instant) => Jst.ToJst(instant).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>HTML-encodes a text (the five characters that matter in element content and quoted attributes).</summary>
    private static string H(string? text) =>
        (text ?? string.Empty).Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

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
