using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Host.Mail;

/// <summary>Sends over SMTP with MailKit: STARTTLS whenever the server offers it, authentication when a user is configured.</summary>
/// <remarks>One connection per mail: mails are few by design (R4.5, never a flood), and a fresh connection after a
/// failure needs no recovery logic. <see cref="SecureSocketOptions.StartTlsWhenAvailable"/> sends in clear only to a
/// server that offers no STARTTLS; mails hold header information only.</remarks>
internal sealed class SmtpMailTransport(MailOptions options) : IMailTransport
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public string Describe => $"smtp://{options.SmtpHost}:{options.SmtpPort}";

    public async Task SendAsync(MimeMessage message, OutboundMail mail, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)s_timeout.TotalMilliseconds };
        await client.ConnectAsync(options.SmtpHost, options.SmtpPort, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
        if (options.UserName.Length > 0)
        {
            await client.AuthenticateAsync(options.UserName, options.Password, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
