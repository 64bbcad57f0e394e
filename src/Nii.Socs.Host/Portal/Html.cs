using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using static Nii.Socs.Host.Portal.PortalText;

namespace Nii.Socs.Host.Portal;

/// <summary>Server-rendered HTML for the portal: one layout, plain CSS, no script; every text is encoded (R4.7).</summary>
/// <remarks>
/// Only <see cref="E(string?)"/> puts data into markup, so a detection's rule message or a purpose text containing
/// <c>&lt;script&gt;</c> shows as text. Edge case: a null text renders as an empty string, never as "null".
/// </remarks>
internal static class Html
{
    private const string Css = """
        body{font:15px/1.45 system-ui,"Noto Sans CJK JP","Hiragino Sans","IPAGothic",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
        header{background:#0b3d66;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
        header a{color:#fff;text-decoration:none}header strong{margin-right:1rem}header .who{color:#d7e6f5}
        header nav{display:flex;gap:1.2rem;flex-wrap:wrap}header .lang{margin-left:auto;border:1px solid #d7e6f5;border-radius:3px;padding:0 .4rem}
        a:focus,button:focus,input:focus,input:focus-within,select:focus,textarea:focus,summary:focus{outline:3px solid #e8a317;outline-offset:2px}
        main{max-width:76rem;margin:1rem auto;padding:0 1.2rem}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{background:#eef1f4}th a.sort{color:#0b3d66}code,pre{font:13px ui-monospace,monospace}pre{background:#fff;border:1px solid #d0d7de;padding:.6rem;overflow:auto}
        td.time,td.num,td.nowrap{white-space:nowrap;overflow-wrap:normal}td.num{text-align:right}time{white-space:nowrap}
        .sev{display:inline-block;min-width:2.6em;text-align:center;border-radius:3px;padding:0 .3em;font-size:13px;white-space:nowrap}
        .sev1{background:#a40e26;color:#fff}.sev2{background:#9a4a00;color:#fff}.sev3{background:#0b5394;color:#fff}.sev4{background:#d0d7de;color:#1b1f24}
        .pager{display:flex;gap:1rem;margin:.5rem 0;align-items:center}.empty{color:#57606a}
        form.inline{display:inline}fieldset{background:#fff;border:1px solid #d0d7de;margin:.8rem 0}
        label{display:block;margin:.3rem 0}input[type=text],textarea,select{font:inherit;width:min(40rem,100%)}
        .error{background:#ffebe9;border:1px solid #cf222e;padding:.5rem}.note{color:#57606a}
        .charts{display:flex;flex-wrap:wrap;gap:1rem;margin:.8rem 0}.charts figure{margin:0;background:#fff;border:1px solid #d0d7de;padding:.5rem}
        .charts figcaption{font-weight:600;margin-bottom:.3rem}svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
        #history td:nth-child(6){max-width:22rem}
        @media print{header nav,header .lang,.pager,form,fieldset{display:none}body{background:#fff}main{max-width:none}}
        """;

    /// <summary>HTML-encodes a text.</summary>
    /// <param name="text">The text; null for none.</param>
    /// <returns>The encoded text.</returns>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>HTML-encodes a formattable text with invariant culture.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The encoded text.</returns>
    public static string E(FormattableString text) => WebUtility.HtmlEncode(text.ToString(CultureInfo.InvariantCulture));

    /// <summary>URL-encodes a query value.</summary>
    /// <param name="text">The value.</param>
    /// <returns>The encoded value.</returns>
    public static string U(string? text) => Uri.EscapeDataString(text ?? string.Empty);

    /// <summary>An ISO 8601 JST instant, the form every page shows.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>Such as <c>2026-11-30T05:00:00+09:00</c>.</returns>
    public static string Jst(DateTimeOffset instant) =>
        Core.Time.Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);

    /// <summary>A compact JST time for tables, <c>2026-11-30 05:00:00</c>, that never wraps; the full instant is in its <c>datetime</c>.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The <c>&lt;time&gt;</c> markup.</returns>
    public static string Time(DateTimeOffset instant) =>
        "<time datetime=\"" + E(Jst(instant)) + "\">" + Core.Time.Jst.ToJst(instant).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "</time>";

    /// <summary>A rule's priority as a severity label: 1 high, 2 medium, 3 low, 4 and above info (Suricata's priorities).</summary>
    /// <param name="priority">The rule's priority.</param>
    /// <returns>The label markup, with the priority in its title.</returns>
    public static string Severity(int priority)
    {
        var (level, name) = priority switch { <= 1 => (1, "High"), 2 => (2, "Medium"), 3 => (3, "Low"), _ => (4, "Info") };
        return string.Create(CultureInfo.InvariantCulture, $"<span class=\"sev sev{level}\" title=\"priority {priority}\">{E(T(name))} ({priority})</span>");
    }

    /// <summary>A whole page.</summary>
    /// <param name="title">The title (encoded here).</param>
    /// <param name="principal">Who is signed in.</param>
    /// <param name="body">The body markup (already encoded).</param>
    /// <param name="status">The status code.</param>
    /// <returns>The result.</returns>
    public static IResult Page(string title, PortalPrincipal principal, string body, int status = StatusCodes.Status200OK)
    {
        var b = new StringBuilder(2048 + body.Length);
        title = T(title);
        b.Append("<!DOCTYPE html><html lang=\"").Append(Lang).Append("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
        b.Append("<title>").Append(E(title)).Append(" — ").Append(E(T("NII-SOCS portal"))).Append("</title><style>").Append(Css).Append("</style></head><body><header>");
        b.Append("<strong>").Append(E(T("NII-SOCS portal"))).Append("</strong><nav aria-label=\"").Append(E(T("Main navigation"))).Append("\">");
        void Link(string href, string text) => b.Append("<a href=\"").Append(href).Append("\">").Append(E(T(text))).Append("</a>");
        if (principal.IsStaff)
        {
            Link("/staff", "Participants");
            Link("/staff/requests", "Requests");
            Link("/staff/fault-access", "Fault access");
        }
        else
        {
            Link("/detections", "Detections");
            Link("/requests", "Decryption requests");
            Link("/coverage", "Coverage gaps");
            Link("/keys", "Wrapped keys");
            Link("/history", "History");
        }

        b.Append("</nav><span class=\"who\">").Append(E(principal.HistoryActor)).Append("</span>");
        Link("/", "Account");
        var (other, otherName) = English ? ("ja", "日本語") : ("en", "English");
        b.Append("<a class=\"lang\" id=\"lang\" lang=\"").Append(other).Append("\" href=\"/lang/").Append(other).Append("?back=").Append(E(U(CurrentPath))).Append("\">").Append(otherName).Append("</a>");
        b.Append("</header><main>");
        b.Append("<h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(b.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>An error page.</summary>
    /// <param name="principal">Who is signed in.</param>
    /// <param name="status">The status code.</param>
    /// <param name="message">What was wrong (encoded here).</param>
    /// <returns>The result.</returns>
    public static IResult Error(PortalPrincipal principal, int status, string message) =>
        Page(status == StatusCodes.Status404NotFound ? "Not found" : "Refused", principal, $"<p class=\"error\" role=\"alert\">{E(message)}</p>", status);

    /// <summary>A hex dump with printable ASCII beside it, 16 bytes a line.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The encoded dump.</returns>
    public static string HexDump(ReadOnlySpan<byte> bytes)
    {
        var b = new StringBuilder((bytes.Length / 16 + 1) * 80);
        for (var offset = 0; offset < bytes.Length; offset += 16)
        {
            var line = bytes.Slice(offset, Math.Min(16, bytes.Length - offset));
            b.Append(offset.ToString("x6", CultureInfo.InvariantCulture)).Append("  ");
            for (var i = 0; i < 16; i++)
            {
                b.Append(i < line.Length ? line[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
            }

            b.Append(' ');
            foreach (var c in line)
            {
                b.Append(c is >= 0x20 and < 0x7F ? (char)c : '.');
            }

            b.Append('\n');
        }

        return E(b.ToString());
    }
}
