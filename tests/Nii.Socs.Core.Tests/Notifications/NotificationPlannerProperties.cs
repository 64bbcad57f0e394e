using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Tests.Generators;

namespace Nii.Socs.Core.Tests.Notifications;

[Properties(Arbitrary = [typeof(NotificationGenerators)])]
public class NotificationPlannerProperties
{
    private static readonly NotificationPlanner s_planner = new(ImportancePolicy.Default, NotificationSettings.Default);

    // A small cap makes the flood path (first detections going to the digest) common in the generated runs.
    private static readonly NotificationPlanner s_tightCap = new(
        ImportancePolicy.Default,
        new NotificationSettings(TimeSpan.FromHours(1), 2, 5, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), "socs.invalid"));

    [Property]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_no_two_immediate_mails_for_one_kind_inside_a_window(NotificationScenario scenario)
    {
        var (_, mails, _) = PlannerRun.Run(s_planner, scenario);
        var window = s_planner.Settings.DigestWindow;
        var ok = mails.Where(m => m.Kind == MailKind.Notification)
            .GroupBy(m => new NotificationKind(m.Participant, m.Sid!.Value))
            .All(g => g.OrderBy(m => m.CreatedAt).Zip(g.OrderBy(m => m.CreatedAt).Skip(1)).All(p => p.Second.CreatedAt - p.First.CreatedAt >= window));
        return ok.Label("two immediate mails of one kind less than a window apart")
            .Classify(mails.Any(m => m.Kind == MailKind.Notification), "has immediate mails")
            .Classify(mails.Any(m => m.Kind == MailKind.Digest), "has digests");
    }

    [Property]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_every_important_detection_is_in_exactly_one_mail_or_digest(NotificationScenario scenario)
    {
        return Check(s_planner).And(Check(s_tightCap));

        Property Check(NotificationPlanner planner)
        {
            var (state, mails, _) = PlannerRun.Run(planner, scenario);
            var expected = scenario.Batches.SelectMany(b => b.Detections)
                .Where(d => planner.Policy.IsImportant(d) && !PlannerRun.Contacts(d.Participant).IsEmpty)
                .Select(d => d.Id)
                .OrderBy(i => i.Value)
                .ToList();
            var mailed = mails.SelectMany(m => m.Rows).Select(r => r.Id).OrderBy(i => i.Value).ToList();
            return expected.SequenceEqual(mailed).Label($"mailed {mailed.Count} rows, expected {expected.Count} distinct important detections")
                .And(state.Digests.IsEmpty.Label("a digest still waits after the last window closed"))
                .Classify(expected.Count == 0, "nothing important")
                .Classify(expected.Count > 20, "more than 20 important");
        }
    }

    [Property]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_nothing_below_the_threshold_is_mailed(NotificationScenario scenario)
    {
        var (_, mails, _) = PlannerRun.Run(s_planner, scenario);
        var unimportant = scenario.Batches.SelectMany(b => b.Detections).Where(d => !s_planner.Policy.IsImportant(d)).Select(d => d.Id).ToHashSet();
        var leaked = mails.SelectMany(m => m.Rows).Count(r => unimportant.Contains(r.Id));
        return (leaked == 0).Label($"{leaked} unimportant detection(s) mailed")
            .Classify(unimportant.Count > 0, "has unimportant detections");
    }

    [Property]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_never_a_flood_at_most_the_cap_of_immediate_mails_and_one_digest_per_window(NotificationScenario scenario)
    {
        var (_, mails, _) = PlannerRun.Run(s_tightCap, scenario);
        var settings = s_tightCap.Settings;
        var perParticipant = mails.GroupBy(m => m.Participant).ToList();
        var immediateOk = perParticipant.All(g =>
        {
            var times = g.Where(m => m.Kind == MailKind.Notification).Select(m => m.CreatedAt).OrderBy(t => t).ToList();
            return times.All(t => times.Count(u => u >= t && u - t < settings.DigestWindow) <= settings.MaxImmediatePerWindow);
        });
        var digestsOk = perParticipant.All(g =>
        {
            var times = g.Where(m => m.Kind == MailKind.Digest).Select(m => m.CreatedAt).OrderBy(t => t).ToList();
            return times.Zip(times.Skip(1)).All(p => p.Second - p.First >= settings.DigestWindow);
        });
        return immediateOk.Label("more immediate mails in a window than the cap")
            .And(digestsOk.Label("two digests of one participant inside a window"))
            .Classify(scenario.Batches.Any(b => b.Detections.Count >= 10), "has a burst");
    }

    [Property]
    [Trait("Requirement", "R4.6")]
    public Property R4_6_follow_ups_thread_to_the_first_mail_of_their_kind(NotificationScenario scenario)
    {
        var (state, mails, end) = PlannerRun.Run(s_tightCap, scenario);
        var kinds = mails.SelectMany(m => m.Rows).Select(r => r.Kind).Distinct().ToList();
        var text = new FollowUpText("この攻撃は広く観測されています。 The attack is widely observed.", "パッチを適用してください。 Apply the vendor's patch.", "yamada");
        var results = new List<bool>();
        foreach (var kind in kinds)
        {
            // The first mail of the kind's current thread: its latest immediate notification, else the first digest that carried it.
            var root = mails.LastOrDefault(m => m.Kind == MailKind.Notification && m.Participant == kind.Participant && m.Sid == kind.Sid)
                ?? mails.First(m => m.Kind == MailKind.Digest && m.Rows.Any(r => r.Kind == kind));
            var to = PlannerRun.Contacts(kind.Participant);
            if (!s_tightCap.TryPlanFollowUp(state, kind, text, to, end, out var f1))
            {
                results.Add(false);
                continue;
            }

            var afterFirst = state.Apply(f1!);
            var second = s_tightCap.TryPlanFollowUp(afterFirst, kind, text, to, end.AddMinutes(5), out var f2);
            results.Add(second
                && f1!.Mail.InReplyTo == root.MessageId
                && f1.Mail.References.SequenceEqual([root.MessageId])
                && f2!.Mail.InReplyTo == f1.Mail.MessageId
                && f2.Mail.References.SequenceEqual([root.MessageId, f1.Mail.MessageId])
                && f2.Mail.MessageId != f1.Mail.MessageId && f1.Mail.MessageId != root.MessageId);
        }

        var unmailed = new NotificationKind(NotificationGenerators.Participants[0], 1);
        return results.All(r => r).Label("a follow-up does not answer its kind's first mail")
            .And((!s_tightCap.TryPlanFollowUp(state, unmailed, text, PlannerRun.Contacts(unmailed.Participant), end, out _)).Label("a follow-up was planned for a kind never mailed"))
            .Classify(kinds.Count > 0, "has threads");
    }

    [Property]
    [Trait("Requirement", "R4.5")]
    public Property R4_5_no_mail_ever_contains_the_content_bytes_of_a_detection(NotificationScenario scenario)
    {
        var (state, mails, end) = PlannerRun.Run(s_tightCap, scenario);
        var composer = new MailComposer("https://portal.socs.invalid/", 5);
        var detections = scenario.Batches.SelectMany(b => b.Detections).ToList();
        // The content as text (its distinctive marker), and the content bytes as hex and Base64, in case a writer encoded them.
        var forms = detections.SelectMany(d =>
        {
            var text = System.Text.Encoding.UTF8.GetString(d.SealedContent.Span);
            return new[] { text[text.IndexOf("CONTENT-", StringComparison.Ordinal)..].TrimEnd(), Convert.ToHexString(d.SealedContent.Span), Convert.ToBase64String(d.SealedContent.Span) };
        }).ToList();
        var texts = mails.Select(composer.Compose).SelectMany(c => new[] { c.Subject, c.Body, c.Html }).ToList();
        var leaks = texts.Count(t => forms.Any(f => t.Contains(f, StringComparison.OrdinalIgnoreCase)));
        return (leaks == 0).Label($"{leaks} mail text(s) carry content")
            .Classify(mails.Any(m => m.Rows.Length > 5), "has a summarised digest")
            .Classify(mails.Count > 0, "has mails");
    }
}
