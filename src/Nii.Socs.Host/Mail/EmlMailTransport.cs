using System.Globalization;
using MimeKit;
using Nii.Socs.Core.Notifications;

namespace Nii.Socs.Host.Mail;

/// <summary>Writes each mail as an .eml file under <c>&lt;data&gt;/mail/</c>: what <c>socs demo</c> does without an SMTP server.</summary>
/// <remarks>The file is written to a temporary name, flushed and renamed, so a reader never sees half a mail; a retry
/// of the same mail replaces its file (the name holds the outbox id).</remarks>
internal sealed class EmlMailTransport(string directory) : IMailTransport
{
    public const string DirectoryName = "mail";

    public string Directory { get; } = directory;

    public string Describe => $"{Directory}{Path.DirectorySeparatorChar}*.eml";

    public static string FileNameOf(OutboundMail mail) =>
        string.Create(CultureInfo.InvariantCulture, $"{mail.Id:D6}-{mail.Kind.ToString().ToLowerInvariant()}-{mail.Participant}.eml");

    public async Task SendAsync(MimeMessage message, OutboundMail mail, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, FileNameOf(mail));
        var temp = path + ".tmp";
        await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await message.WriteToAsync(file, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
