using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Retention;

/// <summary>One stored detection partition as the sweep planner sees it.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="Month">The JST acquisition month.</param>
/// <param name="Epochs">The key epochs whose keys sealed records in it.</param>
internal sealed record PartitionFacts(ParticipantId Participant, JstMonth Month, IReadOnlySet<long> Epochs);

/// <summary>A partition to delete, with the instant it became due.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="Month">The JST acquisition month.</param>
/// <param name="Expiry">The instant from which it must be gone (R7.3).</param>
internal sealed record PartitionDeletion(ParticipantId Participant, JstMonth Month, DateTimeOffset Expiry);

/// <summary>Wrapped keys of one epoch to delete.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="Epoch">The epoch index.</param>
internal sealed record EpochKeyDeletion(ParticipantId Participant, long Epoch);

/// <summary>What one sweep deletes: expired partitions first, then wrapped keys no live partition needs (R7.3).</summary>
/// <param name="Partitions">Partitions at or past their expiry.</param>
/// <param name="EpochKeys">Epoch keys no remaining partition references.</param>
internal sealed record SweepPlan(IReadOnlyList<PartitionDeletion> Partitions, IReadOnlyList<EpochKeyDeletion> EpochKeys);

/// <summary>Plans a retention sweep as a pure function of the stored facts, the schedule and an instant (R7.3).</summary>
/// <remarks>
/// R7.3. A partition is planned for deletion exactly when <c>now ≥ expiry</c>; a month not yet ended is never due
/// (its expiry lies at least one month after its end). After those deletions, an epoch's wrapped keys are deleted
/// when (a) no remaining partition of the participant references the epoch, (b) the epoch is older than every
/// epoch a remaining partition references, and (c) it is older than the newest epoch in the key store (the current
/// epoch's keys are never deleted). Rule (b) keeps quiet weeks between live ones and protects
/// records still in flight at a rotation.
/// <para>Edge case: epochs 10, 11, 12 in the key store, partitions referencing 11 (expired) and 12 (live) → 10 and 11
/// are deleted, 12 stays.</para>
/// </remarks>
internal static class SweepPlanner
{
    /// <summary>Plans a sweep.</summary>
    /// <param name="partitions">Every stored partition.</param>
    /// <param name="keyEpochs">The epochs present in the key store, per participant.</param>
    /// <param name="schedule">The retention in force.</param>
    /// <param name="now">The instant of the decision.</param>
    /// <param name="inFlight">When records may still arrive after the partitions were listed (sensors' spools shipped to a
    /// cluster later), the epoch schedule: an epoch's wrapped keys are then also kept until the expiry of the JST month
    /// its last instant falls in, from which every record of the epoch would be refused as expired anyway. Null on one
    /// machine, where every record is in the partitions listed.</param>
    /// <returns>The plan; empty lists when nothing is due.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static SweepPlan Plan(
        IEnumerable<PartitionFacts> partitions,
        IReadOnlyDictionary<ParticipantId, IReadOnlyList<long>> keyEpochs,
        RetentionSchedule schedule,
        DateTimeOffset now,
        Keys.EpochSchedule? inFlight = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(keyEpochs);
        ArgumentNullException.ThrowIfNull(schedule);
        var deletions = new List<PartitionDeletion>();
        var live = new Dictionary<ParticipantId, List<PartitionFacts>>();
        foreach (var partition in partitions.OrderBy(p => p.Participant.Value, StringComparer.Ordinal).ThenBy(p => p.Month))
        {
            var expiry = schedule.ExpiryOf(partition.Participant, partition.Month);
            if (now >= expiry)
            {
                deletions.Add(new PartitionDeletion(partition.Participant, partition.Month, expiry));
            }
            else
            {
                if (!live.TryGetValue(partition.Participant, out var list))
                {
                    list = [];
                    live.Add(partition.Participant, list);
                }

                list.Add(partition);
            }
        }

        var keys = new List<EpochKeyDeletion>();
        foreach (var (participant, epochs) in keyEpochs.OrderBy(k => k.Key.Value, StringComparer.Ordinal))
        {
            if (epochs.Count == 0)
            {
                continue;
            }

            var referenced = live.TryGetValue(participant, out var remaining)
                ? remaining.SelectMany(p => p.Epochs).ToHashSet()
                : [];
            var bound = referenced.Count > 0 ? Math.Min(referenced.Min(), epochs.Max()) : epochs.Max();
            foreach (var epoch in epochs.Order())
            {
                if (epoch < bound && !referenced.Contains(epoch) && (inFlight is null || now >= LastRecordExpiry(inFlight, schedule, participant, epoch)))
                {
                    keys.Add(new EpochKeyDeletion(participant, epoch));
                }
            }
        }

        return new SweepPlan(deletions, keys);
    }

    /// <summary>The instant from which every record sealed under an epoch is expired: the expiry of the JST month of the
    /// epoch's last instant.</summary>
    private static DateTimeOffset LastRecordExpiry(Keys.EpochSchedule epochs, RetentionSchedule schedule, ParticipantId participant, long epoch) =>
        schedule.ExpiryOf(participant, JstMonth.Of(epochs.EndOf(new Keys.EpochId(participant, epoch)).AddTicks(-1)));
}
