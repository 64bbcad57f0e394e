using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Retention;

public sealed class SweepPlannerProperties
{
    private static readonly ParticipantId[] People = [new("u-tokyo"), new("kyoto-u"), new("osaka-u")];

    private static Gen<JstMonth> Months => Gen.Choose(0, 60).Select(i => new JstMonth(2024, 1).Plus(i));

    // Instants biased to JST month starts (the expiry instants) and the second before them.
    private static Gen<DateTimeOffset> Instants =>
        from month in Gen.Choose(0, 72).Select(i => new JstMonth(2024, 1).Plus(i))
        from shift in Gen.Frequency(
            (3, Gen.Constant(0L)),
            (3, Gen.Constant(-1L)),
            (2, Gen.Choose(0, 31 * 24 * 3600).Select(s => (long)s)))
        select month.Start.AddSeconds(shift);

    private static Gen<RetentionAgreement> Agreements =>
        from who in Gen.Elements(People)
        from months in Gen.Choose(0, 12)
        from day in Gen.Choose(0, 5 * 365)
        select new RetentionAgreement(who, new RetentionPolicy(months), new DateOnly(2024, 1, 1).AddDays(day));

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_a_partition_is_planned_for_deletion_exactly_from_its_expiry_and_never_before_its_month_ends()
    {
        var gen =
            from partitions in Gen.ListOf(from who in Gen.Elements(People) from m in Months select (who, m))
            from agreements in Gen.ListOf(Agreements)
            from now in Instants
            select (partitions: partitions.Distinct().ToList(), agreements, now);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var schedule = new RetentionSchedule(RetentionPolicy.Default, t.agreements);
            var facts = t.partitions.Select(p => new PartitionFacts(p.who, p.m, new HashSet<long>())).ToList();
            var plan = SweepPlanner.Plan(facts, new Dictionary<ParticipantId, IReadOnlyList<long>>(), schedule, t.now);
            var planned = plan.Partitions.Select(d => (d.Participant, d.Month)).ToHashSet();
            var exact = t.partitions.All(p => planned.Contains(p) == (t.now >= schedule.ExpiryOf(p.who, p.m)));
            var neverBeforeMonthEnd = plan.Partitions.All(d => t.now >= d.Month.Plus(1).Start);
            // "At most N months": no record of the month survives past the expiry of the policy it was acquired under.
            var atMost = t.partitions.All(p => schedule.ExpiryOf(p.who, p.m) <= schedule.PolicyAt(p.who, p.m.Start).ExpiryOf(p.m));
            return exact.Label("deleted iff now >= expiry").And(neverBeforeMonthEnd.Label("never before the month ends")).And(atMost.Label("never past the policy of its start"))
                .Classify(plan.Partitions.Count > 0, "some due")
                .Classify(plan.Partitions.Count < facts.Count, "some kept");
        });
    }

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R8.4")]
    public Property R8_4_wrapped_keys_go_only_when_no_remaining_partition_references_their_epoch_and_the_current_epoch_stays()
    {
        var gen =
            from partitions in Gen.ListOf(from m in Months from epochs in Gen.ListOf(Gen.Choose(0, 30).Select(e => (long)e)) select (m, epochs))
            from keyEpochs in Gen.ListOf(Gen.Choose(0, 30).Select(e => (long)e))
            from now in Instants
            select (partitions, keys: keyEpochs.Distinct().Order().ToList(), now);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var who = People[0];
            var facts = t.partitions.DistinctBy(p => p.m).Select(p => new PartitionFacts(who, p.m, p.epochs.ToHashSet())).ToList();
            var keys = new Dictionary<ParticipantId, IReadOnlyList<long>> { [who] = t.keys };
            var plan = SweepPlanner.Plan(facts, keys, RetentionSchedule.Default, t.now);
            var deletedMonths = plan.Partitions.Select(p => p.Month).ToHashSet();
            var live = facts.Where(f => !deletedMonths.Contains(f.Month)).SelectMany(f => f.Epochs).ToHashSet();
            var deleted = plan.EpochKeys.Select(k => k.Epoch).ToList();
            var noLiveDeleted = deleted.All(e => !live.Contains(e));
            var currentKept = t.keys.Count == 0 || !deleted.Contains(t.keys.Max());
            var onlyExisting = deleted.All(t.keys.Contains);
            var olderThanLive = live.Count == 0 || deleted.All(e => e < live.Min());
            return noLiveDeleted.Label("no referenced epoch deleted").And(currentKept.Label("newest epoch kept"))
                    .And(onlyExisting.Label("only existing epochs")).And(olderThanLive.Label("only epochs older than every live one"))
                .Classify(deleted.Count > 0, "some keys deleted");
        });
    }

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R8.4")]
    public Property R8_4_with_records_in_flight_a_wrapped_set_stays_until_every_record_of_its_epoch_would_be_expired()
    {
        // A cluster's sweeper cannot see the records still in sensors' spools: with the epoch schedule given, it deletes
        // a subset of what one machine would, and never an epoch a record of which could still be stored (a record
        // acquired in the epoch's last JST month is refused only from that month's expiry).
        var epochs = Nii.Socs.Core.Keys.EpochSchedule.WeeklyFromMondayJst;
        var who = People[0];
        var first = epochs.EpochOf(who, new JstMonth(2024, 1).Start).Index;
        var gen =
            from partitions in Gen.ListOf(from m in Months from e in Gen.ListOf(Gen.Choose(0, 300).Select(e => first + e)) select (m, e))
            from keyEpochs in Gen.ListOf(Gen.Choose(0, 300).Select(e => first + e))
            from now in Instants
            select (partitions, keys: keyEpochs.Distinct().Order().ToList(), now);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var facts = t.partitions.DistinctBy(p => p.m).Select(p => new PartitionFacts(who, p.m, p.e.ToHashSet())).ToList();
            var keys = new Dictionary<ParticipantId, IReadOnlyList<long>> { [who] = t.keys };
            var oneMachine = SweepPlanner.Plan(facts, keys, RetentionSchedule.Default, t.now).EpochKeys.Select(k => k.Epoch).ToHashSet();
            var plan = SweepPlanner.Plan(facts, keys, RetentionSchedule.Default, t.now, epochs);
            var deleted = plan.EpochKeys.Select(k => k.Epoch).ToList();
            var lastRecordExpired = deleted.All(e => t.now >= RetentionSchedule.Default.ExpiryOf(who, JstMonth.Of(epochs.EndOf(new Nii.Socs.Core.Keys.EpochId(who, e)).AddTicks(-1))));
            var expiredKept = oneMachine.Where(e => !deleted.Contains(e)).All(e => t.now < RetentionSchedule.Default.ExpiryOf(who, JstMonth.Of(epochs.EndOf(new Nii.Socs.Core.Keys.EpochId(who, e)).AddTicks(-1))));
            return deleted.All(oneMachine.Contains).Label("a subset of one machine's deletions")
                .And(lastRecordExpired.Label("only epochs every record of which is expired"))
                .And(expiredKept.Label("the rest of one machine's deletions only while a record could still arrive"))
                .Classify(deleted.Count > 0, "some keys deleted")
                .Classify(deleted.Count < oneMachine.Count, "some kept for records in flight");
        });
    }

    [Fact]
    public void Epochs_are_deleted_up_to_the_oldest_live_reference()
    {
        var who = People[0];
        var facts = new[]
        {
            new PartitionFacts(who, new JstMonth(2026, 1), new HashSet<long> { 11 }),
            new PartitionFacts(who, new JstMonth(2026, 4), new HashSet<long> { 12 }),
        };
        var keys = new Dictionary<ParticipantId, IReadOnlyList<long>> { [who] = [10, 11, 12, 13] };
        var plan = SweepPlanner.Plan(facts, keys, RetentionSchedule.Default, new JstMonth(2026, 5).Start);
        Assert.Equal([new JstMonth(2026, 1)], plan.Partitions.Select(p => p.Month));
        Assert.Equal([10L, 11L], plan.EpochKeys.Select(k => k.Epoch));
    }

    [Fact]
    public void Shorter_agreement_starting_mid_month_governs_that_whole_partition()
    {
        var who = People[0];
        var schedule = new RetentionSchedule(RetentionPolicy.Default, [new RetentionAgreement(who, new RetentionPolicy(0), new DateOnly(2026, 11, 15))]);
        Assert.Equal(new JstMonth(2026, 12).Start, schedule.ExpiryOf(who, new JstMonth(2026, 11)));
        Assert.Equal(new JstMonth(2027, 2).Start, schedule.ExpiryOf(who, new JstMonth(2026, 10)));
        Assert.Equal(new JstMonth(2027, 1).Start, schedule.ExpiryOf(who, new JstMonth(2026, 12)));
        Assert.Equal(new JstMonth(2027, 3).Start, schedule.ExpiryOf(People[1], new JstMonth(2026, 11)));
    }
}
