using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MimeKit;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary><c>AddSocsMail()</c> in a real Generic Host: without an SMTP host, the hosted sender writes .eml files under &lt;data&gt;/mail.</summary>
public class MailHostTests
{
    [Fact]
    [Trait("Requirement", "R4.5")]
    public async Task R4_5_without_an_SMTP_host_the_hosted_sender_writes_eml_files_to_the_registry_contacts()
    {
        using var dir = new TempDataDir();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Socs:Data:Directory"] = dir.Path,
            ["Socs:Mail:PortalUrl"] = "https://portal.socs.example/",
            ["Socs:Mail:PollInterval"] = "00:00:00.200",
        });
        builder.Services.AddSocsOptions();
        builder.Services.AddSocsMail();
        using var host = builder.Build();

        var registry = host.Services.GetRequiredService<Nii.Socs.Core.Storage.IRegistryStore>();
        var at = DateTimeOffset.UnixEpoch.AddYears(56);
        await registry.AppendAsync(
        [
            new ApplicationSubmitted(at, "app-1", NotifierRig.UTokyo, "東京大学", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u-tokyo.example"], []),
            new ApplicationApproved(at, "app-1"),
        ]);

        await host.StartAsync();
        var notifier = host.Services.GetRequiredService<Notifier>();
        await notifier.OnDetectionsAsync([NotifierRig.Detection(DateTimeOffset.UtcNow)]);
        var mailDir = Path.Combine(dir.Path, EmlMailTransport.DirectoryName);
        var file = await WaitForFileAsync(mailDir);
        await host.StopAsync();

        Assert.Equal("000001-notification-u-tokyo.eml", Path.GetFileName(file));
        var raw = await File.ReadAllBytesAsync(file);
        var message = MimeMessage.Load(new MemoryStream(raw));
        Assert.Equal(["soc@u-tokyo.example"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("検知通知", message.Subject, StringComparison.Ordinal);
        SmtpMailTests.AssertNoContent(raw, message);
        Assert.Empty(Directory.GetFiles(mailDir, "*.tmp"));
        host.Dispose();
        Assert.Contains(OperationHistoryStore.ReadAll(dir.Path), e => e.Action == "mail.sent" && e.Subject == "mail/u-tokyo/1");
    }

    [Fact]
    public void Bad_mail_settings_are_reported_with_their_key_and_value()
    {
        var options = new MailOptions
        {
            SmtpPort = 0,
            From = "not an address",
            PortalUrl = "portal",
            DigestWindow = TimeSpan.FromSeconds(10),
            MaxImmediatePerWindow = 0,
            Password = "x",
            Overrides = { ["U Tokyo"] = new ImportanceOptions { MaxPriority = 300 } },
        };
        var failures = new MailOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.Contains("Socs:Mail:SmtpPort must be between 1 and 65535 (was 0)", failures);
        Assert.Contains("Socs:Mail:From must be a mail address such as 'NII-SOCS <soc@example.ac.jp>' (was 'not an address')", failures);
        Assert.Contains("Socs:Mail:PortalUrl must be an absolute http(s) address (was 'portal')", failures);
        Assert.Contains("Socs:Mail:DigestWindow must be between 00:01:00 and 7.00:00:00 (was 00:00:10)", failures);
        Assert.Contains("Socs:Mail:MaxImmediatePerWindow must be between 1 and 64 (was 0)", failures);
        Assert.Contains("Socs:Mail:Password is set but Socs:Mail:UserName is empty (was a password without a user)", failures);
        Assert.Contains("Socs:Mail:Overrides:U Tokyo must be keyed by a participant id such as 'u-tokyo' (was 'U Tokyo')", failures);
        Assert.Contains("Socs:Mail:Overrides:U Tokyo:MaxPriority must be between 0 and 255 (was 300)", failures);
        Assert.Equal(8, failures.Count);
    }

    [Fact]
    public void Default_mail_settings_are_valid_and_match_the_core_defaults()
    {
        var options = new MailOptions();
        Assert.True(new MailOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(Core.Notifications.NotificationSettings.Default with { }, options.ToSettings());
        Assert.Equal(Core.Notifications.ImportanceThresholds.Default.ImportantClassTypes.Order(), options.ToPolicy().Defaults.ImportantClassTypes.Order());
    }

    private static async Task<string> WaitForFileAsync(string directory)
    {
        // Waits for the hosted sender on the real clock; bounded, and not a timing assertion.
        for (var i = 0; i < 400; i++)
        {
            if (Directory.Exists(directory) && Directory.GetFiles(directory, "*.eml") is [var file, ..])
            {
                return file;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no .eml file appeared in {directory}");
    }
}
