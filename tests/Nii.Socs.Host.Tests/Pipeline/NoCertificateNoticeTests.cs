using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage.Inspection;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>Across parts: enrol → revoke the only certificate → rotate at the epoch boundary → restart and rotate again
/// in the same epoch → inspect (R8.1). The real registry, CA, key ring, notifier, outbox, .eml transport and inspection.</summary>
public sealed class NoCertificateNoticeTests : IDisposable
{
    private const string Staff = "staff@socs.test";
    private const string Contact = "soc@alpha.example";
    private static readonly ParticipantId s_alpha = new("alpha-u");
    private readonly string _root = Directory.CreateTempSubdirectory("socs-nocert-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R8.1")]
    public async Task A_participant_left_without_a_certificate_is_mailed_once_per_epoch_to_contacts_and_staff_and_shown_in_the_inspection()
    {
        var dataDirectory = Path.Combine(_root, "data");
        var mailDirectory = Path.Combine(dataDirectory, EmlMailTransport.DirectoryName);
        // Sunday 23:00 JST; the weekly epoch ends at Monday 00:00 JST.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 14, 0, 0, TimeSpan.Zero));

        await using (var data = SocsData.Open(dataDirectory, time))
        using (var ca = DevelopmentCa.OpenOrCreate(dataDirectory, time))
        using (var outbox = MailOutbox.Open(dataDirectory))
        using (var notifier = NewNotifier(data, outbox, mailDirectory, time))
        {
            var now = time.GetUtcNow();
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, "app-alpha", s_alpha, "Alpha University", [IPPrefix.Parse("192.0.2.0/24")], [Contact], [new OperatorContact("a", "a@alpha.example", null, true)]),
                new ApplicationApproved(now, "app-alpha"),
            ]);
            var (_, csr) = OperatorKeys.Generate(Path.Combine(_root, "people"), "a", ClientKeyType.EcP256);
            var enrolled = await CertificateEnrolment.EnrolAsync(data, ca, s_alpha, "a", File.ReadAllBytes(csr), "test");
            await KeyEpochs.RotateAllAsync(data);
            Assert.Empty(NoCertificateEntries(data));

            // Revoking the only certificate puts the current epoch in the state at once (its key is gone with the certificate).
            await CertificateEnrolment.RevokeAsync(data, s_alpha, enrolled.Thumbprint, "compromise reported", "test");
            var first = Assert.Single(NoCertificateEntries(data));
            Assert.Equal(new SendReport(2, 0), await notifier.SendDueAsync());
            AssertTwoNotices(mailDirectory, []);
            var seen = Directory.GetFiles(mailDirectory, "*.eml");

            time.Advance(TimeSpan.FromHours(2)); // Monday 01:00 JST: a new epoch, still no active certificate
            await KeyEpochs.RotateAllAsync(data);
            var epoch = data.Schedule.EpochOf(s_alpha, time.GetUtcNow());
            Assert.DoesNotContain(epoch, data.Keys.SealedKeyEpochs(s_alpha));
            var noted = NoCertificateEntries(data);
            Assert.Equal(2, noted.Count);
            Assert.Equal($"keys/{s_alpha}/{epoch.Index}", noted[1].Subject);
            Assert.NotEqual(first.Subject, noted[1].Subject);
            Assert.Single(data.History.Entries(), e => e.Action == NoCertificateMail.MailedAction && e.Subject == noted[1].Subject);

            Assert.Equal(new SendReport(2, 0), await notifier.SendDueAsync());
            AssertTwoNotices(mailDirectory, seen);
        }

        // A restart in the same epoch: the ring notes the state again, but the durable marker stops a second mail.
        time.Advance(TimeSpan.FromHours(1));
        await using (var data = SocsData.Open(dataDirectory, time))
        using (var outbox = MailOutbox.Open(dataDirectory))
        using (var notifier = NewNotifier(data, outbox, mailDirectory, time))
        {
            await KeyEpochs.RotateAllAsync(data);
            Assert.Equal(3, NoCertificateEntries(data).Count);
            Assert.Equal(2, data.History.Entries().Count(e => e.Action == NoCertificateMail.MailedAction));
            Assert.Empty(outbox.State.Pending);
            Assert.Equal(new SendReport(0, 0), await notifier.SendDueAsync());
        }

        Assert.Equal(4, Directory.GetFiles(mailDirectory, "*.eml").Length);

        var report = StoredInspection.Run(dataDirectory, new InspectionSettings(2026), time.GetUtcNow());
        var findings = report.Findings.Where(f => f.Code == FindingCodes.NoCertificate).ToList();
        Assert.Equal(2, findings.Count); // one per participant and epoch, however often the state was noted
        Assert.All(findings, f => Assert.Equal("R8.1", f.Requirement));
        Assert.Single(findings[0].HistoryEntries);
        Assert.Equal(2, findings[1].HistoryEntries.Count);
        Assert.Contains($"keys/{s_alpha}/", findings[1].Message, StringComparison.Ordinal);
        Assert.Contains("keys.no-certificate", InspectionJson.Serialize(report), StringComparison.Ordinal);
        Assert.Contains("keys.no-certificate", Nii.Socs.Host.Inspection.InspectionHtml.Render(report), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public async Task Serve_wires_the_notice_a_participant_approved_without_a_certificate_queues_one_mail_to_contacts_and_one_to_the_configured_staff()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Socs:Data:Directory"] = Path.Combine(_root, "serve-data"),
            ["Socs:Mail:StaffAddress"] = $"Staff <{Staff}>",
        });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSocsOptions();
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        using var host = builder.Build();
        var data = host.Services.GetRequiredService<SocsData>();
        await data.Registry.AppendAsync(
        [
            new ApplicationSubmitted(time.GetUtcNow(), "app-alpha", s_alpha, "Alpha University", [IPPrefix.Parse("192.0.2.0/24")], [Contact], [new OperatorContact("a", "a@alpha.example", null, true)]),
            new ApplicationApproved(time.GetUtcNow(), "app-alpha"),
        ]);

        await KeyEpochs.RotateAllAsync(data);
        await KeyEpochs.RotateAllAsync(data);

        var pending = host.Services.GetRequiredService<Nii.Socs.Core.Storage.IMailOutbox>().State.Pending.Values.Select(m => m.Mail).ToList();
        Assert.Equal(2, pending.Count);
        Assert.All(pending, m => Assert.Equal(Core.Notifications.MailKind.Procedure, m.Kind));
        Assert.Single(pending, m => m.To.SequenceEqual([Contact]));
        Assert.Single(pending, m => m.To.SequenceEqual([Staff]));
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public void The_staff_address_defaults_to_the_sender_and_a_bad_one_is_refused()
    {
        Assert.Equal("soc@socs.invalid", new MailOptions().StaffMailbox);
        Assert.Equal(Staff, new MailOptions { StaffAddress = $"Staff <{Staff}>" }.StaffMailbox);
        var result = new MailOptionsValidator().Validate(null, new MailOptions { StaffAddress = "not an address" });
        Assert.True(result.Failed);
        Assert.Contains("Socs:Mail:StaffAddress", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>Exactly two new .eml files: one to the contacts, one to staff, each Japanese first, then English.</summary>
    private static void AssertTwoNotices(string mailDirectory, string[] before)
    {
        var mails = Directory.GetFiles(mailDirectory, "*.eml").Except(before).Select(f => MimeMessage.Load(f)).ToList();
        Assert.Equal(2, mails.Count);
        var toContacts = Assert.Single(mails, m => m.To.Mailboxes.Any(a => a.Address == Contact));
        var toStaff = Assert.Single(mails, m => m.To.Mailboxes.Any(a => a.Address == Staff));
        foreach (var mail in new[] { toContacts, toStaff })
        {
            Assert.Contains("No active certificate", mail.Subject, StringComparison.Ordinal);
            var body = mail.TextBody ?? string.Empty;
            var japanese = body.IndexOf("有効な運用担当者証明書がありません", StringComparison.Ordinal);
            var english = body.IndexOf("has no active operator certificate", StringComparison.Ordinal);
            Assert.True(japanese >= 0 && english > japanese, "Japanese first, then English");
            Assert.Contains(s_alpha.Value, body, StringComparison.Ordinal);
        }
    }

    private static List<Core.Audit.OperationEntry> NoCertificateEntries(SocsData data) =>
        [.. data.History.Entries().Where(e => e.Action == "keys.epoch.no-certificate")];

    private static Notifier NewNotifier(SocsData data, MailOutbox outbox, string mailDirectory, TimeProvider time)
    {
        var notifier = MailServiceCollectionExtensions.Create(
            new MailOptions(),
            outbox,
            new EmlMailTransport(mailDirectory),
            data.History,
            p => data.Registry.State.Participants.TryGetValue(p, out var entry) ? entry.Contacts : [],
            time,
            NullLoggerFactory.Instance);
        data.OnNoCertificate = async (p, epoch, ct) => await NoCertificateMail.QueueAsync(data, notifier, Staff, p, epoch, ct);
        return notifier;
    }
}
