using MimeKit;
using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Host.Mail;

/// <summary>Hands a rendered mail to its way out: an SMTP server, or an .eml file.</summary>
internal interface IMailTransport
{
    /// <summary>Where mails go, for logs and the demo summary.</summary>
    string Describe { get; }

    /// <summary>Sends one mail; throws when it was not accepted (the notifier retries it later).</summary>
    Task SendAsync(MimeMessage message, OutboundMail mail, CancellationToken cancellationToken);
}
