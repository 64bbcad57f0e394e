using System.Collections.Immutable;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Tests.Generators;

namespace Nii.Socs.Core.Tests.Notifications;

/// <summary>Runs a scenario through the pure planner as the notifier would: due digests first, then each batch; finally one window later.</summary>
internal static class PlannerRun
{
    /// <summary>u-tokyo and kyoto-u have contacts; nii has none, so its detections are unreachable.</summary>
    public static ImmutableArray<string> Contacts(ParticipantId participant) => participant.Value switch
    {
        "u-tokyo" => ["soc@u-tokyo.example", "cert@u-tokyo.example"],
        "kyoto-u" => ["security@kyoto-u.example"],
        _ => [],
    };

    public static (NotificationState State, List<OutboundMail> Mails, DateTimeOffset End) Run(NotificationPlanner planner, NotificationScenario scenario, bool flush = true)
    {
        var state = NotificationState.Empty;
        var mails = new List<OutboundMail>();
        var now = scenario.Start;

        void Apply(IEnumerable<OutboxEvent> events)
        {
            foreach (var e in events)
            {
                state = state.Apply(e);
                if (e is MailQueued q)
                {
                    mails.Add(q.Mail);
                }
            }
        }

        foreach (var batch in scenario.Batches)
        {
            now += batch.Gap;
            Apply(planner.PlanDueDigests(state, now));
            Apply(planner.PlanDetections(state, batch.Detections, Contacts, now).Events);
        }

        if (flush)
        {
            now += planner.Settings.DigestWindow;
            Apply(planner.PlanDueDigests(state, now));
        }

        return (state, mails, now);
    }
}
