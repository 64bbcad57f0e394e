using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Tests.Notifications;

namespace Nii.Socs.Core.Tests.Storage.Outbox;

[Properties(Arbitrary = [typeof(NotificationGenerators)])]
public class MailOutboxTests
{
    private static readonly NotificationPlanner s_planner = new(ImportancePolicy.Default, NotificationSettings.Default);
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task R4_5_queued_mail_and_waiting_digest_survive_dispose_and_reopen()
    {
        using var dir = new TempDir();
        var plan = s_planner.PlanDetections(NotificationState.Empty, [NotificationPlannerTests.Detection(s_t0), NotificationPlannerTests.Detection(s_t0.AddSeconds(1))], _ => ["soc@u-tokyo.example"], s_t0);
        using (var outbox = MailOutbox.Open(dir.Path))
        {
            var state = await outbox.AppendAsync(plan.Events);
            Assert.Single(state.Pending);
        }

        using (var reopened = MailOutbox.Open(dir.Path))
        {
            var pending = Assert.Single(reopened.State.Pending.Values);
            Assert.Equal(MailKind.Notification, pending.Mail.Kind);
            Assert.Single(Assert.Single(reopened.State.Digests.Values).Rows);
            var failed = s_planner.Failure(pending, s_t0.AddMinutes(1), "connection refused");
            await reopened.AppendAsync([failed]);
        }

        using (var again = MailOutbox.Open(dir.Path))
        {
            var pending = Assert.Single(again.State.Pending.Values);
            Assert.Equal(1, pending.FailedAttempts);
            Assert.Equal(s_t0.AddMinutes(1).AddSeconds(30), pending.NextAttemptAt);
            await again.AppendAsync([new MailSent(s_t0.AddMinutes(2), pending.Mail.Id)]);
        }

        using var last = MailOutbox.Open(dir.Path);
        Assert.Empty(last.State.Pending);
        Assert.Equal(1, last.State.SentCount);
        Assert.Equal(1, last.State.LastMailId);
    }

    [Fact]
    public void Reopened_empty_outbox_has_empty_state()
    {
        using var dir = new TempDir();
        using (MailOutbox.Open(dir.Path))
        {
        }

        using var outbox = MailOutbox.Open(dir.Path);
        Assert.Equal(0, outbox.State.LastMailId);
        Assert.Empty(outbox.Events());
        Assert.True(Directory.Exists(Path.Combine(dir.Path, MailOutbox.DirectoryName)));
    }

    [Property(MaxTest = 30)]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_every_stored_event_reads_back_as_written(NotificationScenario scenario)
    {
        var planner = new NotificationPlanner(ImportancePolicy.Default, NotificationSettings.Default);
        var events = new List<OutboxEvent>();
        var state = NotificationState.Empty;
        var now = scenario.Start;
        foreach (var batch in scenario.Batches)
        {
            now += batch.Gap;
            foreach (var e in planner.PlanDueDigests(state, now).Concat(planner.PlanDetections(state, batch.Detections, PlannerRun.Contacts, now).Events))
            {
                state = state.Apply(e);
                events.Add(e);
            }
        }

        foreach (var pending in state.Pending.Values.Take(2))
        {
            events.Add(planner.Failure(pending, now, "451 4.3.0 try again\r\nlater"));
            events.Add(new MailSent(now.AddMinutes(1), pending.Mail.Id));
        }

        // Byte equality of re-encoded events: records holding ImmutableArray compare by reference, so compare the stored form.
        var roundTrip = events.All(e => OutboxEventCodec.Encode(OutboxEventCodec.Decode(OutboxEventCodec.Encode(e))).AsSpan().SequenceEqual(OutboxEventCodec.Encode(e)));
        var decoded = events.Select(e => OutboxEventCodec.Decode(OutboxEventCodec.Encode(e))).ToList();
        var folded = NotificationState.Fold(decoded);
        return roundTrip.Label("an event does not read back as written")
            .And((folded.LastMailId == NotificationState.Fold(events).LastMailId && folded.Pending.Count == NotificationState.Fold(events).Pending.Count).Label("the fold differs"))
            .Classify(events.OfType<MailQueued>().Any(q => q.Mail.Kind == MailKind.Digest), "has a digest");
    }

    [Fact]
    public void Truncated_event_is_reported_as_invalid_data()
    {
        var bytes = OutboxEventCodec.Encode(new MailSent(s_t0, 7));
        Assert.Throws<InvalidDataException>(() => OutboxEventCodec.Decode(bytes.AsMemory(0, bytes.Length - 1)));
    }
}
