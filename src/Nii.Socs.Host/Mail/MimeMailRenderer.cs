using System.Text;
using MimeKit;
using MimeKit.Text;
using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Host.Mail;

/// <summary>Turns an <see cref="OutboundMail"/> into a MIME message: UTF-8 text and HTML, Japanese and English, threaded headers (R4.5, R4.6).</summary>
/// <remarks>The body is <c>multipart/alternative</c>: a <c>text/plain; charset=utf-8</c> part in quoted-printable
/// (7-bit safe through any relay, and the ASCII of addresses, ports and links stays readable in the raw message) with
/// aligned columns, then a <c>text/html</c> part whose table links each detection to its portal page. The subject is
/// RFC 2047-encoded by MimeKit. Message-ID, In-Reply-To and References come from the outbox, so a retry is the same
/// message and replies thread to it.</remarks>
internal sealed class MimeMailRenderer(MailComposer composer, MailboxAddress from)
{
    public MailComposer Composer { get; } = composer;

    public MimeMessage Render(OutboundMail mail)
    {
        var composed = Composer.Compose(mail);
        var message = new MimeMessage
        {
            Subject = composed.Subject,
            MessageId = mail.MessageId,
            Date = mail.CreatedAt,
        };
        message.From.Add(from);
        foreach (var to in mail.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        if (mail.InReplyTo is { } parent)
        {
            message.InReplyTo = parent;
            foreach (var reference in mail.References)
            {
                message.References.Add(reference);
            }
        }

        message.Headers.Add(HeaderId.ContentLanguage, "ja, en");
        var text = new TextPart(TextFormat.Plain) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        text.SetText(Encoding.UTF8, composed.Body);
        var html = new TextPart(TextFormat.Html) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        html.SetText(Encoding.UTF8, composed.Html);
        message.Body = new MultipartAlternative { text, html };
        return message;
    }
}
