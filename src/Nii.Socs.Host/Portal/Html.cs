using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Nii.Socs.Host.Portal;

/// <summary>Server-rendered HTML for the portal: one layout, plain CSS, no script; every text is encoded (R4.7).</summary>
/// <remarks>
/// Only <see cref="E(string?)"/> puts data into markup, so a detection's rule message or a purpose text containing
/// <c>&lt;script&gt;</c> shows as text. Edge case: a null text renders as an empty string, never as "null".
/// </remarks>
internal static class Html
{
    private const string Css = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
        header{background:#0b3d66;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
        header a{color:#fff;text-decoration:none}header strong{margin-right:1rem}
        main{max-width:72rem;margin:1rem auto;padding:0 1.2rem}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef1f4}code,pre{font:13px ui-monospace,monospace}pre{background:#fff;border:1px solid #d0d7de;padding:.6rem;overflow:auto}
        form.inline{display:inline}fieldset{background:#fff;border:1px solid #d0d7de;margin:.8rem 0}
        label{display:block;margin:.3rem 0}input[type=text],textarea,select{font:inherit;width:min(40rem,100%)}
        .error{background:#ffebe9;border:1px solid #cf222e;padding:.5rem}.note{color:#57606a}
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

    /// <summary>A whole page.</summary>
    /// <param name="title">The title (encoded here).</param>
    /// <param name="principal">Who is signed in.</param>
    /// <param name="body">The body markup (already encoded).</param>
    /// <param name="status">The status code.</param>
    /// <returns>The result.</returns>
    public static IResult Page(string title, PortalPrincipal principal, string body, int status = StatusCodes.Status200OK)
    {
        var b = new StringBuilder(2048 + body.Length);
        b.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
        b.Append("<title>").Append(E(title)).Append(" — NII-SOCS portal</title><style>").Append(Css).Append("</style></head><body><header>");
        b.Append("<strong>NII-SOCS portal</strong>");
        if (principal.IsStaff)
        {
            b.Append("<a href=\"/staff\">Participants</a><a href=\"/staff/requests\">Requests</a><a href=\"/staff/fault-access\">Fault access</a>");
        }
        else
        {
            b.Append("<a href=\"/detections\">Detections</a><a href=\"/requests\">Decryption requests</a><a href=\"/coverage\">Coverage gaps</a>");
            b.Append("<a href=\"/keys\">Wrapped keys</a><a href=\"/history\">History</a>");
        }

        b.Append("<span class=\"note\" style=\"color:#cde\">").Append(E(principal.HistoryActor)).Append("</span><a href=\"/\">Account</a></header><main>");
        b.Append("<h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(b.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>An error page.</summary>
    /// <param name="principal">Who is signed in.</param>
    /// <param name="status">The status code.</param>
    /// <param name="message">What was wrong (encoded here).</param>
    /// <returns>The result.</returns>
    public static IResult Error(PortalPrincipal principal, int status, string message) =>
        Page(status == StatusCodes.Status404NotFound ? "Not found" : "Refused", principal, $"<p class=\"error\">{E(message)}</p>", status);

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
