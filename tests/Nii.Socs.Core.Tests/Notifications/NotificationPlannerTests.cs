using System.Collections.Immutable;
using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Notifications;

public class NotificationPlannerTests
{
    private static readonly ParticipantId s_utokyo = new("u-tokyo");
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 30, 20, 0, 0, TimeSpan.Zero);
    private static readonly NotificationPlanner s_planner = new(ImportancePolicy.Default, NotificationSettings.Default);

    internal static DetectionRecord Detection(DateTimeOffset at, long sid = 2_019_401, int priority = 1, string? classType = "attempted-admin", string message = "ET EXPLOIT Apache Struts RCE 試行") => new()
    {
        Id = DetectionId.New(at),
        Participant = s_utokyo,
        Epoch = new EpochId(s_utokyo, 1),
        Header = new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse("198.51.100.7"),
            Destination = IPAddress.Parse("192.0.2.10"),
            Protocol = 6,
            SourcePort = 44321,
            DestinationPort = 8080,
        },
        Rule = new RuleRef(sid, 3, message, classType, priority),
        SealedContent = "GET /struts?cmd=id HTTP/1.1"u8.ToArray(),
    };

    private static ImmutableArray<string> Contacts(ParticipantId _) => ["soc@u-tokyo.example"];

    [Fact]
    public void First_detection_of_a_kind_is_mailed_at_once_and_the_next_waits_for_the_digest()
    {
        var plan = s_planner.PlanDetections(NotificationState.Empty, [Detection(s_t0), Detection(s_t0.AddSeconds(5))], Contacts, s_t0.AddMinutes(1));
        Assert.Equal(1, plan.Immediate);
        Assert.Equal(1, plan.Deferred);
        var queued = Assert.IsType<MailQueued>(plan.Events[0]);
        Assert.Equal(MailKind.Notification, queued.Mail.Kind);
        Assert.Equal("1.20261130T200100Z.u-tokyo@socs.invalid", queued.Mail.MessageId);
        Assert.IsType<RowsDeferred>(plan.Events[1]);
    }

    [Fact]
    public void Digest_is_due_exactly_one_window_after_the_first_waiting_detection()
    {
        var now = s_t0;
        var state = Fold(s_planner.PlanDetections(NotificationState.Empty, [Detection(now), Detection(now)], Contacts, now).Events);
        Assert.Empty(s_planner.PlanDueDigests(state, now.AddHours(1).AddTicks(-1)));
        var due = Assert.Single(s_planner.PlanDueDigests(state, now.AddHours(1)));
        Assert.Equal(MailKind.Digest, Assert.IsType<MailQueued>(due).Mail.Kind);
        Assert.Equal(now.AddHours(1), s_planner.NextDue(state with { Pending = state.Pending.Clear() }));
    }

    [Fact]
    public void A_kind_quiet_for_a_window_is_mailed_at_once_again_and_starts_a_new_thread()
    {
        var state = Fold(s_planner.PlanDetections(NotificationState.Empty, [Detection(s_t0)], Contacts, s_t0).Events);
        var later = s_t0.AddMinutes(61);
        var plan = s_planner.PlanDetections(state, [Detection(later)], Contacts, later);
        Assert.Equal(1, plan.Immediate);
        state = Fold(plan.Events, state);
        Assert.True(state.TryGetThread(new NotificationKind(s_utokyo, 2_019_401), out var thread));
        Assert.Equal(new[] { ((MailQueued)plan.Events[0]).Mail.MessageId }, thread.ToArray());
    }

    [Fact]
    public void Ignored_classtype_wins_over_priority_one()
    {
        var plan = s_planner.PlanDetections(NotificationState.Empty, [Detection(s_t0, priority: 1, classType: "not-suspicious")], Contacts, s_t0);
        Assert.Equal(1, plan.NotImportant);
        Assert.Empty(plan.Events);
    }

    [Fact]
    public void A_participant_override_replaces_the_default_thresholds()
    {
        var policy = new ImportancePolicy(ImportanceThresholds.Default, new Dictionary<ParticipantId, ImportanceThresholds> { [s_utokyo] = new(3, [], []) });
        Assert.True(policy.IsImportant(Detection(s_t0, priority: 3, classType: "misc-activity")));
        Assert.False(policy.IsImportant(Detection(s_t0, priority: 4, classType: "trojan-activity")));
        Assert.True(ImportancePolicy.Default.IsImportant(Detection(s_t0, priority: 4, classType: "trojan-activity")));
    }

    [Fact]
    public void Participant_without_contacts_is_counted_unreachable_not_mailed()
    {
        var plan = s_planner.PlanDetections(NotificationState.Empty, [Detection(s_t0)], _ => [], s_t0);
        Assert.Equal(1, plan.Unreachable);
        Assert.Empty(plan.Events);
    }

    [Fact]
    public void Retry_delay_doubles_up_to_the_cap()
    {
        var s = NotificationSettings.Default;
        Assert.Equal(TimeSpan.FromSeconds(30), s.RetryDelayAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(60), s.RetryDelayAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(120), s.RetryDelayAfter(3));
        Assert.Equal(TimeSpan.FromHours(1), s.RetryDelayAfter(9));
        Assert.Equal(TimeSpan.FromHours(1), s.RetryDelayAfter(int.MaxValue));
    }

    [Fact]
    public void Composed_notification_is_bilingual_header_only_and_in_JST()
    {
        var plan = s_planner.PlanDetections(NotificationState.Empty, [Detection(s_t0)], Contacts, s_t0);
        var mail = ((MailQueued)plan.Events[0]).Mail;
        var composed = new MailComposer("https://portal.socs.invalid/", 200).Compose(mail);
        Assert.Contains("検知通知 / Detection notice", composed.Subject, StringComparison.Ordinal);
        Assert.Contains("1  2026-12-01 05:00:00  198.51.100.7  44321  192.0.2.10   8080  TCP    2019401     1  attempted-admin  ET EXPLOIT Apache Struts RCE 試行", composed.Body, StringComparison.Ordinal);
        Assert.Contains("https://portal.socs.invalid/", composed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("struts?cmd", composed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("struts?cmd", composed.Html, StringComparison.Ordinal);

        // Each detection links to its own portal page, in the text and in the HTML.
        var url = "https://portal.socs.invalid/detections/" + mail.Rows[0].Id;
        Assert.Contains("[1] " + url, composed.Body, StringComparison.Ordinal);
        Assert.Contains("<a href=\"" + url + "\">2026-12-01 05:00:00</a>", composed.Html, StringComparison.Ordinal);

        // The record id is new each run; the snapshot holds everything else.
        var id = mail.Rows[0].Id.ToString();
        Snapshooter.Xunit.Snapshot.Match(composed with { Body = composed.Body.Replace(id, "RECORD-ID", StringComparison.Ordinal), Html = composed.Html.Replace(id, "RECORD-ID", StringComparison.Ordinal) });
    }

    [Fact]
    public void Digest_beyond_the_row_limit_counts_the_rest_per_rule()
    {
        var detections = Enumerable.Range(0, 12).Select(i => Detection(s_t0.AddSeconds(i), sid: i % 2 == 0 ? 1 : 2, classType: "trojan-activity")).ToList();
        var state = Fold(s_planner.PlanDetections(NotificationState.Empty, detections, Contacts, s_t0).Events);
        var digest = ((MailQueued)s_planner.PlanDueDigests(state, s_t0.AddHours(1))[0]).Mail;
        Assert.Equal(10, digest.Rows.Length);
        var body = new MailComposer("https://portal.socs.invalid/", 4).Compose(digest).Body;
        Assert.Contains("6 more, counted per rule", body, StringComparison.Ordinal);
        Assert.Matches(@"\nsid  count  first \(JST\)", body);
        Assert.Matches(@"\n  1      3  2026-12-01 ", body);
        Assert.Matches(@"\n  2      3  2026-12-01 ", body);
    }

    [Fact]
    public void Control_characters_in_a_rule_message_cannot_forge_a_header_line()
    {
        var d = Detection(s_t0, message: "evil\r\nBcc: attacker@example.com");
        var mail = ((MailQueued)s_planner.PlanDetections(NotificationState.Empty, [d], Contacts, s_t0).Events[0]).Mail;
        var composed = new MailComposer("https://portal.socs.invalid/", 200).Compose(mail);
        Assert.DoesNotContain('\n', composed.Subject);
        Assert.DoesNotContain('\r', composed.Subject);
        Assert.DoesNotContain("\nBcc:", composed.Body, StringComparison.Ordinal);
    }

    internal static NotificationState Fold(IEnumerable<OutboxEvent> events, NotificationState? from = null) =>
        events.Aggregate(from ?? NotificationState.Empty, (s, e) => s.Apply(e));
}
