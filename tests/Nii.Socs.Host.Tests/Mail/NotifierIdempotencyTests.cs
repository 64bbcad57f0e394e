using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary>A detection offered again (its file ingested again after a crash) is not mailed again, before or after a restart.</summary>
public sealed class NotifierIdempotencyTests
{
    [Fact]
    [Trait("Requirement", "R4.5")]
    public async Task Detections_already_planned_are_skipped_in_the_same_process_and_after_reopening_the_outbox()
    {
        using var dir = new TempDataDir();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero));
        var mailDir = Path.Combine(dir.Path, EmlMailTransport.DirectoryName);
        var first = Enumerable.Range(0, 5).Select(i => NotifierRig.Detection(time.GetUtcNow().AddSeconds(-i), sid: 2_019_401 + (i % 2))).ToList();
        var second = Enumerable.Range(0, 3).Select(i => NotifierRig.Detection(time.GetUtcNow().AddSeconds(-10 - i), sid: 2_019_409)).ToList();
        using (var rig = new NotifierRig(dir.Path, new MailOptions(), new EmlMailTransport(mailDir), time))
        {
            var plan = await rig.Notifier.OnDetectionsAsync(first);
            Assert.Equal(5, plan.Immediate + plan.Deferred);
            var again = await rig.Notifier.OnDetectionsAsync(first);
            Assert.Equal((0, 0), (again.Immediate, again.Deferred));
            await rig.Notifier.SendDueAsync();
        }

        using (var rig = new NotifierRig(dir.Path, new MailOptions(), new EmlMailTransport(mailDir), time))
        {
            // After a restart: the first batch is known from the outbox log (mailed or waiting), the new one is planned.
            var plan = await rig.Notifier.OnDetectionsAsync([.. first, .. second]);
            Assert.Equal(3, plan.Immediate + plan.Deferred);
            time.Advance(TimeSpan.FromHours(2));
            await rig.Notifier.CloseDueDigestsAsync();
            await rig.Notifier.SendDueAsync();
            var rows = rig.Outbox.Events().OfType<Core.Notifications.MailQueued>().SelectMany(q => q.Mail.Rows).Select(r => r.Id).ToList();
            Assert.Equal(8, rows.Distinct().Count());
            Assert.Equal(rows.Count, rows.Distinct().Count());
        }
    }
}
