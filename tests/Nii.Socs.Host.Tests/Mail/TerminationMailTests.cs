using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary>Across the registry and the notifier: a filed termination notice stops detection mails only from the day it
/// takes effect (R12.1), not from the day it is filed.</summary>
public sealed class TerminationMailTests
{
    [Fact]
    [Trait("Requirement", "R12.1")]
    public async Task Detection_mails_stop_from_the_day_after_the_notice_date()
    {
        using var dir = new TempDataDir();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero));
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Socs:Data:Directory"] = dir.Path });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSocsOptions();
        builder.Services.AddSocsMail();
        using var host = builder.Build();
        var registry = host.Services.GetRequiredService<Nii.Socs.Core.Storage.IRegistryStore>();
        var notifier = host.Services.GetRequiredService<Notifier>();
        var at = time.GetUtcNow();
        await registry.AppendAsync(
        [
            new ApplicationSubmitted(at, "app-1", NotifierRig.UTokyo, "東京大学", [IPPrefix.Parse("192.0.2.0/24")], ["soc@u-tokyo.example"], []),
            new ApplicationApproved(at, "app-1"),
            new ParticipantTerminated(at.AddHours(1), NotifierRig.UTokyo, new DateOnly(2026, 12, 11)),
        ]);

        // 2026-12-10 23:00 JST: the notice is filed but not in effect; the first of a kind is mailed at once.
        time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 14, 0, 0, TimeSpan.Zero));
        var before = await notifier.OnDetectionsAsync([NotifierRig.Detection(time.GetUtcNow(), sid: 1)]);
        Assert.Equal(1, before.Immediate);
        Assert.Equal(0, before.Unreachable);

        // 2026-12-11 00:00 JST: terminated; nobody is mailed.
        time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 15, 0, 0, TimeSpan.Zero));
        var after = await notifier.OnDetectionsAsync([NotifierRig.Detection(time.GetUtcNow(), sid: 2)]);
        Assert.Equal(0, after.Immediate);
        Assert.Equal(1, after.Unreachable);
    }
}
