using System.Globalization;
using Microsoft.Extensions.Options;
using MimeKit;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Mail;

/// <summary>Importance thresholds in configuration (R4.5): <c>Socs:Mail:Importance</c> and each <c>Socs:Mail:Overrides:&lt;participant&gt;</c>.</summary>
internal sealed class ImportanceOptions
{
    /// <summary>Rules with priority 1 to this number are mailed; 0 turns the priority test off.</summary>
    /// <value>The default is 2 (R4.5).</value>
    public int MaxPriority { get; set; } = ImportanceThresholds.Default.MaxPriority;

    /// <summary>Classtypes mailed whatever their priority; null means the built-in list.</summary>
    /// <value>The default is null: Suricata's priority-1 attack classtypes (R4.5).</value>
    public string[]? ImportantClassTypes { get; set; }

    /// <summary>Classtypes never mailed; null means the built-in list.</summary>
    /// <value>The default is null: <c>not-suspicious</c> (R4.5).</value>
    public string[]? IgnoredClassTypes { get; set; }

    public ImportanceThresholds ToThresholds() => new(
        MaxPriority,
        ImportantClassTypes ?? [.. ImportanceThresholds.Default.ImportantClassTypes.Order(StringComparer.Ordinal)],
        IgnoredClassTypes ?? [.. ImportanceThresholds.Default.IgnoredClassTypes.Order(StringComparer.Ordinal)]);
}

/// <summary>Notifications by mail (R4.5, R4.6), section <c>Socs:Mail</c>.</summary>
internal sealed class MailOptions
{
    public const string SectionName = "Socs:Mail";

    /// <summary>The SMTP server; empty writes each mail as an .eml file under <c>&lt;data&gt;/mail/</c> instead.</summary>
    /// <value>The default is empty (.eml files, as <c>socs demo</c> uses).</value>
    public string SmtpHost { get; set; } = string.Empty;

    /// <summary>The SMTP port; STARTTLS is used whenever the server offers it.</summary>
    /// <value>The default is 587 (submission).</value>
    public int SmtpPort { get; set; } = 587;

    /// <summary>The SMTP user; empty sends without authentication.</summary>
    /// <value>The default is empty.</value>
    public string UserName { get; set; } = string.Empty;

    /// <summary>The SMTP password, used only with <see cref="UserName"/>.</summary>
    /// <value>The default is empty.</value>
    public string Password { get; set; } = string.Empty;

    /// <summary>The sender, such as <c>NII-SOCS &lt;soc@example.ac.jp&gt;</c>; its domain also names Message-IDs.</summary>
    /// <value>The default is <c>NII-SOCS &lt;soc@socs.invalid&gt;</c>.</value>
    public string From { get; set; } = "NII-SOCS <soc@socs.invalid>";

    /// <summary>Staff's address, told when a participant has no active certificate (R8.1); empty means <see cref="From"/>.</summary>
    /// <value>The default is empty (the sender's address).</value>
    public string StaffAddress { get; set; } = string.Empty;

    /// <summary>The address staff notices go to: <see cref="StaffAddress"/>, or <see cref="From"/> when it is empty.</summary>
    public string StaffMailbox => MailboxAddress.Parse(StaffAddress.Length == 0 ? From : StaffAddress).Address;

    /// <summary>The portal's address written in every mail.</summary>
    /// <value>The default is <c>https://localhost:5001/</c>.</value>
    public string PortalUrl { get; set; } = "https://localhost:5001/";

    /// <summary>The digest window (R4.5).</summary>
    /// <value>The default is 01:00:00.</value>
    public TimeSpan DigestWindow { get; set; } = NotificationSettings.Default.DigestWindow;

    /// <summary>Immediate mails per participant per window (R4.5).</summary>
    /// <value>The default is 10.</value>
    public int MaxImmediatePerWindow { get; set; } = NotificationSettings.Default.MaxImmediatePerWindow;

    /// <summary>Detections listed row by row in one mail.</summary>
    /// <value>The default is 200.</value>
    public int MaxRowsPerMail { get; set; } = NotificationSettings.Default.MaxRowsPerMail;

    /// <summary>The first retry delay after a failed send.</summary>
    /// <value>The default is 00:00:30.</value>
    public TimeSpan RetryInitialDelay { get; set; } = NotificationSettings.Default.RetryInitialDelay;

    /// <summary>The longest retry delay.</summary>
    /// <value>The default is 01:00:00.</value>
    public TimeSpan RetryMaxDelay { get; set; } = NotificationSettings.Default.RetryMaxDelay;

    /// <summary>How often the sender looks for due mails when nothing wakes it earlier.</summary>
    /// <value>The default is 00:00:05.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The organization's default importance thresholds (R4.5).</summary>
    public ImportanceOptions Importance { get; set; } = new();

    /// <summary>Thresholds replacing <see cref="Importance"/> for one participant, keyed by participant id (R4.5).</summary>
    /// <value>The default is none.</value>
    public Dictionary<string, ImportanceOptions> Overrides { get; set; } = new(StringComparer.Ordinal);

    public MailboxAddress FromAddress => MailboxAddress.Parse(From);

    public ImportancePolicy ToPolicy() => new(
        Importance.ToThresholds(),
        Overrides.ToDictionary(o => new ParticipantId(o.Key), o => o.Value.ToThresholds()));

    public NotificationSettings ToSettings() => new(DigestWindow, MaxImmediatePerWindow, MaxRowsPerMail, RetryInitialDelay, RetryMaxDelay, FromAddress.Domain);
}

internal sealed class MailOptionsValidator : IValidateOptions<MailOptions>
{
    private const string S = MailOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, MailOptions options)
    {
        var b = new ValidateOptionsResultBuilder();
        if (options.SmtpPort is < 1 or > 65535)
        {
            b.AddError($"{S}:SmtpPort must be between 1 and 65535 (was {options.SmtpPort})");
        }

        if (options.SmtpHost.Length > 0 && Uri.CheckHostName(options.SmtpHost) == UriHostNameType.Unknown)
        {
            b.AddError($"{S}:SmtpHost must be a host name or address, or empty for .eml files (was '{options.SmtpHost}')");
        }

        if (options.UserName.Length == 0 && options.Password.Length > 0)
        {
            b.AddError($"{S}:Password is set but {S}:UserName is empty (was a password without a user)");
        }

        if (!MailboxAddress.TryParse(options.From, out var from) || !NotificationSettings.IsValidDomain(from.Domain))
        {
            b.AddError($"{S}:From must be a mail address such as 'NII-SOCS <soc@example.ac.jp>' (was '{options.From}')");
        }

        if (options.StaffAddress.Length > 0 && (!MailboxAddress.TryParse(options.StaffAddress, out var staff) || !NotificationSettings.IsValidDomain(staff.Domain)))
        {
            b.AddError($"{S}:StaffAddress must be empty or a mail address such as 'soc-staff@example.ac.jp' (was '{options.StaffAddress}')");
        }

        if (!Uri.TryCreate(options.PortalUrl, UriKind.Absolute, out var portal) || (portal.Scheme != Uri.UriSchemeHttps && portal.Scheme != Uri.UriSchemeHttp))
        {
            b.AddError($"{S}:PortalUrl must be an absolute http(s) address (was '{options.PortalUrl}')");
        }

        Range(b, "DigestWindow", options.DigestWindow, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Range(b, "RetryInitialDelay", options.RetryInitialDelay, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(b, "RetryMaxDelay", options.RetryMaxDelay, options.RetryInitialDelay, TimeSpan.FromDays(1));
        Range(b, "PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (options.MaxImmediatePerWindow is < 1 or > NotificationSettings.MaxImmediateLimit)
        {
            b.AddError($"{S}:MaxImmediatePerWindow must be between 1 and {NotificationSettings.MaxImmediateLimit} (was {options.MaxImmediatePerWindow})");
        }

        if (options.MaxRowsPerMail is < 1 or > 10_000)
        {
            b.AddError($"{S}:MaxRowsPerMail must be between 1 and 10000 (was {options.MaxRowsPerMail})");
        }

        Importance(b, $"{S}:Importance", options.Importance);
        foreach (var (participant, thresholds) in options.Overrides)
        {
            if (!ParticipantId.IsValid(participant))
            {
                b.AddError($"{S}:Overrides:{participant} must be keyed by a participant id such as 'u-tokyo' (was '{participant}')");
            }

            Importance(b, $"{S}:Overrides:{participant}", thresholds);
        }

        return b.Build();
    }

    private static void Range(ValidateOptionsResultBuilder b, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            b.AddError(string.Create(CultureInfo.InvariantCulture, $"{S}:{key} must be between {min:c} and {max:c} (was {value:c})"));
        }
    }

    private static void Importance(ValidateOptionsResultBuilder b, string path, ImportanceOptions? options)
    {
        if (options is null)
        {
            return;
        }

        if (options.MaxPriority is < 0 or > ImportanceThresholds.LowestPriority)
        {
            b.AddError($"{path}:MaxPriority must be between 0 and {ImportanceThresholds.LowestPriority} (was {options.MaxPriority})");
        }

        foreach (var (list, key) in new[] { (options.ImportantClassTypes, "ImportantClassTypes"), (options.IgnoredClassTypes, "IgnoredClassTypes") })
        {
            for (var i = 0; list is not null && i < list.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(list[i]))
                {
                    b.AddError($"{path}:{key}:{i} must be a classtype name (was empty)");
                }
            }
        }
    }
}
