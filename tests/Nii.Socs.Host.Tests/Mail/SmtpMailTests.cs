using System.Text;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary>Mail over a real SMTP server on loopback (R4.5, R4.6): what arrives, threading, UTF-8, no content, retries.</summary>
public class SmtpMailTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    [Trait("Requirement", "R4.5")]
    public async Task R4_5_notification_follow_up_and_digest_arrive_threaded_in_UTF8_without_content()
    {
        using var dir = new TempDataDir();
        await using var server = LoopbackSmtpServer.Start();
        var time = new FakeTimeProvider(s_t0);
        using (var rig = new NotifierRig(dir.Path, NotifierRig.Smtp(server.Port), new SmtpMailTransport(NotifierRig.Smtp(server.Port)), time))
        {
            var plan = await rig.Notifier.OnDetectionsAsync([NotifierRig.Detection(s_t0), NotifierRig.Detection(s_t0.AddSeconds(2))]);
            Assert.Equal((1, 1), (plan.Immediate, plan.Deferred));
            Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());

            time.Advance(TimeSpan.FromMinutes(10));
            var followUp = await rig.Notifier.FollowUpAsync(NotifierRig.UTokyo, 2_019_401, new FollowUpText("Apache Struts の既知の脆弱性 (CVE-2017-5638) を狙う攻撃です。 Attacks on a known Struts flaw.", "Struts を更新してください。 Update Struts.", "yamada"));
            Assert.NotNull(followUp);
            Assert.Null(await rig.Notifier.FollowUpAsync(NotifierRig.UTokyo, 1, new FollowUpText("k", "c", "yamada")));
            Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());

            time.Advance(TimeSpan.FromMinutes(50));
            Assert.Equal(1, await rig.Notifier.CloseDueDigestsAsync());
            Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());
            Assert.Equal(new SendReport(0, 0), await rig.Notifier.SendDueAsync());
        }

        var arrived = server.Arrived.ToArray();
        Assert.Equal(3, arrived.Length);
        var messages = arrived.Select(a => MimeMessage.Load(new MemoryStream(a.Raw))).ToArray();
        foreach (var (a, m) in arrived.Zip(messages))
        {
            Assert.Equal(["soc@u-tokyo.example", "cert@u-tokyo.example"], a.Recipients);
            Assert.Equal(["soc@u-tokyo.example", "cert@u-tokyo.example"], m.To.Mailboxes.Select(x => x.Address));
            Assert.Equal("soc@socs.example", m.From.Mailboxes.Single().Address);
            var alternative = Assert.IsType<MultipartAlternative>(m.Body);
            Assert.All(alternative, part => Assert.Equal("utf-8", Assert.IsType<TextPart>(part).ContentType.Charset ?? string.Empty, ignoreCase: true));
            Assert.All(alternative, part => Assert.Equal(ContentEncoding.QuotedPrintable, ((TextPart)part).ContentTransferEncoding));
            Assert.Contains("https://portal.socs.example/", m.HtmlBody, StringComparison.Ordinal);
            Assert.Contains("https://portal.socs.example/", m.TextBody, StringComparison.Ordinal);
            Assert.Contains("通信内容は含みません", m.TextBody, StringComparison.Ordinal);
            Assert.Contains("header information only", m.TextBody, StringComparison.Ordinal);
            AssertNoContent(a.Raw, m);
        }

        var (first, reply, digest) = (messages[0], messages[1], messages[2]);
        Assert.Contains("検知通知 / Detection notice: ET EXPLOIT Apache Struts RCE 試行", first.Subject, StringComparison.Ordinal);
        Assert.Matches(@"1  2026-12-01 05:00:00  198\.51\.100\.7  44321  192\.0\.2\.10 +8080  TCP +2019401", first.TextBody);
        Assert.Contains("https://portal.socs.example/detections/", first.TextBody, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://portal.socs.example/detections/", first.HtmlBody, StringComparison.Ordinal);
        Assert.Equal(first.MessageId, reply.InReplyTo);
        Assert.Equal(new[] { first.MessageId }, reply.References.ToArray());
        Assert.StartsWith("Re: ", reply.Subject, StringComparison.Ordinal);
        Assert.Contains("Struts を更新してください。", reply.TextBody, StringComparison.Ordinal);
        Assert.Contains("検知まとめ / Detection digest: 1 件", digest.Subject, StringComparison.Ordinal);
        Assert.Contains("2026-12-01 05:00:02", digest.TextBody, StringComparison.Ordinal);

        var actions = OperationHistoryStore.ReadAll(dir.Path).Select(e => e.Action).ToList();
        Assert.Equal(["mail.sent", "mail.followup.queued", "mail.followup.sent", "mail.digest.sent"], actions);
    }

    [Fact]
    [Trait("Requirement", "R4.5")]
    public async Task R4_5_mail_waits_while_the_server_is_down_survives_a_restart_and_arrives_once_after_backoff()
    {
        using var dir = new TempDataDir();
        var port = LoopbackSmtpServer.FreePort();
        var options = NotifierRig.Smtp(port);
        var time = new FakeTimeProvider(s_t0);
        using (var rig = new NotifierRig(dir.Path, options, new SmtpMailTransport(options), time))
        {
            await rig.Notifier.OnDetectionsAsync([NotifierRig.Detection(s_t0)]);
            Assert.Equal(new SendReport(0, 1), await rig.Notifier.SendDueAsync());
            var pending = Assert.Single(rig.Notifier.State.Pending.Values);
            Assert.Equal(s_t0.AddSeconds(30), pending.NextAttemptAt);

            time.Advance(TimeSpan.FromSeconds(29));
            Assert.Equal(new SendReport(0, 0), await rig.Notifier.SendDueAsync());
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(new SendReport(0, 1), await rig.Notifier.SendDueAsync());
            Assert.Equal(time.GetUtcNow().AddSeconds(60), Assert.Single(rig.Notifier.State.Pending.Values).NextAttemptAt);
        }

        // The service restarts while the server is still down: the mail is still pending, with its backoff.
        await using var server = LoopbackSmtpServer.Start(port);
        using (var rig = new NotifierRig(dir.Path, options, new SmtpMailTransport(options), time))
        {
            var pending = Assert.Single(rig.Notifier.State.Pending.Values);
            Assert.Equal(2, pending.FailedAttempts);
            Assert.Equal(new SendReport(0, 0), await rig.Notifier.SendDueAsync());
            Assert.Empty(server.Arrived);

            time.Advance(TimeSpan.FromSeconds(60));
            Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());
            time.Advance(TimeSpan.FromHours(2));
            Assert.Equal(new SendReport(0, 0), await rig.Notifier.SendDueAsync());
            Assert.Empty(rig.Notifier.State.Pending);
        }

        var mail = Assert.Single(server.Arrived);
        Assert.Equal(["soc@u-tokyo.example", "cert@u-tokyo.example"], mail.Recipients);
        var actions = OperationHistoryStore.ReadAll(dir.Path).Select(e => e.Action).ToList();
        Assert.Equal(["mail.failed", "mail.failed", "mail.sent"], actions);
        Assert.True(HistoryVerificationOk(dir.Path));
    }

    [Fact]
    public async Task Configured_user_authenticates_before_sending()
    {
        using var dir = new TempDataDir();
        await using var server = LoopbackSmtpServer.Start(credentials: ("socs", "s3cret"));
        var options = NotifierRig.Smtp(server.Port);
        options.UserName = "socs";
        options.Password = "s3cret";
        var time = new FakeTimeProvider(s_t0);
        using (var rig = new NotifierRig(dir.Path, options, new SmtpMailTransport(options), time))
        {
            await rig.Notifier.OnDetectionsAsync([NotifierRig.Detection(s_t0)]);
            Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());
        }

        Assert.Equal("socs", Assert.Single(server.Arrived).User);
    }

    [Fact]
    public async Task Wrong_password_is_a_failure_that_is_retried()
    {
        using var dir = new TempDataDir();
        await using var server = LoopbackSmtpServer.Start(credentials: ("socs", "s3cret"));
        var options = NotifierRig.Smtp(server.Port);
        options.UserName = "socs";
        options.Password = "wrong";
        using var rig = new NotifierRig(dir.Path, options, new SmtpMailTransport(options), new FakeTimeProvider(s_t0));
        await rig.Notifier.OnDetectionsAsync([NotifierRig.Detection(s_t0)]);
        Assert.Equal(new SendReport(0, 1), await rig.Notifier.SendDueAsync());
        Assert.Contains("Authentication", Assert.Single(rig.Notifier.State.Pending.Values).LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(server.Arrived);
    }

    internal static void AssertNoContent(byte[] raw, MimeMessage message)
    {
        var content = NotifierRig.Content;
        var marker = "SECRET-CONTENT-7Q2X";
        Assert.True(raw.AsSpan().IndexOf(content) < 0, "the raw mail holds the content bytes");
        Assert.True(raw.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) < 0, "the raw mail holds the content marker");
        foreach (var form in new[] { marker, Convert.ToBase64String(content), Convert.ToHexString(content), "user=root" })
        {
            Assert.DoesNotContain(form, message.TextBody, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(form, message.HtmlBody ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(form, message.Subject, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(form, Encoding.ASCII.GetString(raw), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static bool HistoryVerificationOk(string dataDirectory) =>
        OperationHistoryStore.Verify(dataDirectory) is Nii.Socs.Core.Audit.HistoryVerification.Intact;
}
