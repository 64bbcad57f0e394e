using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Tests.Cli;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary><c>socs mail outbox</c> and <c>socs mail follow-up</c> in process, on a seeded data directory.</summary>
public class MailCommandsTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    [Trait("Requirement", "R4.6")]
    public async Task R4_6_follow_up_from_the_command_line_is_written_in_the_thread_of_the_first_notification()
    {
        using var dir = new TempDataDir();
        await SeedAsync(dir.Path);
        var time = new FakeTimeProvider(s_t0.AddHours(3));

        var result = Cli.Cli.Run(time, "mail", "follow-up", "--data", dir.Path, "--participant", "u-tokyo", "--sid", "2019401",
            "--knowledge", "CVE-2017-5638 を狙う攻撃です。 An attack on CVE-2017-5638.", "--countermeasures", "Struts を更新してください。 Update Struts.", "--staff", "yamada");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("queued #2 <2.20261130T230000Z.u-tokyo@socs.invalid> in reply to <1.20261130T200000Z.u-tokyo@socs.invalid>; sent now 1, failed 0", result.Out, StringComparison.Ordinal);

        var first = MimeMessage.Load(Path.Combine(dir.Path, "mail", "000001-notification-u-tokyo.eml"));
        var reply = MimeMessage.Load(Path.Combine(dir.Path, "mail", "000002-followup-u-tokyo.eml"));
        Assert.Equal(first.MessageId, reply.InReplyTo);
        Assert.Equal(["soc@u-tokyo.example"], reply.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("Struts を更新してください。", reply.TextBody, StringComparison.Ordinal);
        Assert.Contains(OperationHistoryStore.ReadAll(dir.Path), e => e.Action == "mail.followup.queued" && e.Actor == "org:yamada");

        var outbox = Cli.Cli.Run("mail", "outbox", "--data", dir.Path);
        Assert.Equal(0, outbox.ExitCode);
        Assert.StartsWith("queued 2, sent 2, pending 0, kinds 1", outbox.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Follow_up_about_a_kind_never_mailed_exits_2_and_queues_nothing()
    {
        using var dir = new TempDataDir();
        await SeedAsync(dir.Path);
        var result = Cli.Cli.Run("mail", "follow-up", "--data", dir.Path, "--participant", "u-tokyo", "--sid", "1", "--knowledge", "k", "--countermeasures", "c", "--staff", "yamada");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no mail has carried u-tokyo/1 yet", result.Error, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "mail")));
    }

    [Fact]
    public void Bad_participant_exits_2_with_one_line()
    {
        using var dir = new TempDataDir();
        var result = Cli.Cli.Run("mail", "follow-up", "--data", dir.Path, "--participant", "U Tokyo", "--sid", "1", "--knowledge", "k", "--countermeasures", "c", "--staff", "s");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--participant must be a participant id", result.Error, StringComparison.Ordinal);
    }

    /// <summary>A registry with u-tokyo and one notification already written as .eml by the notifier.</summary>
    private static async Task SeedAsync(string data)
    {
        using (var registry = RegistryStore.Open(data))
        {
            await registry.AppendAsync(
            [
                new ApplicationSubmitted(s_t0, "app-1", NotifierRig.UTokyo, "東京大学", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u-tokyo.example"], []),
                new ApplicationApproved(s_t0, "app-1"),
            ]);
        }

        var options = new MailOptions();
        using var rig = new NotifierRig(data, options, new EmlMailTransport(Path.Combine(data, EmlMailTransport.DirectoryName)), new FakeTimeProvider(s_t0));
        await rig.Notifier.OnDetectionsAsync([NotifierRig.Detection(s_t0)]);
        Assert.Equal(new SendReport(1, 0), await rig.Notifier.SendDueAsync());
    }
}
