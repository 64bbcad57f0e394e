using System.Collections.Immutable;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Generators;

/// <summary>Which deviations a generated year of operation carries.</summary>
public sealed record Deviations(bool LateDestruction, bool ViewWithoutGrant, bool PartitionPastExpiry, bool RemovedEntry)
{
    public bool Any => LateDestruction || ViewWithoutGrant || PartitionPastExpiry || RemovedEntry;

    public override string ToString() =>
        $"late={LateDestruction} view={ViewWithoutGrant} partition={PartitionPastExpiry} removed={RemovedEntry}";
}

/// <summary>A generated year of operation of 2026: registry, weekly keys, retention, consent, mail; with or without deviations.</summary>
/// <remarks>Everything a compliant service would record is there: every epoch's key destroyed within the hour after
/// its end, every expired partition deleted within half a day, every view under a live grant that lists its record,
/// every fault access followed by a mail that names its incident.</remarks>
public sealed class InspectionScenario
{
    internal static readonly InspectionSettings Settings = new(2026);

    private readonly List<(DateTimeOffset At, string Actor, string Action, string Subject, string Details)> _raw = [];

    private InspectionScenario(int seed, Deviations deviations)
    {
        Seed = seed;
        Deviations = deviations;
        var random = new Random(seed);
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var participants = Enumerable.Range(0, random.Next(1, 4)).Select(i => new ParticipantId("u-" + (char)('a' + i))).ToList();
        var registered = Jst.At(new DateOnly(2025, 12, 1), new TimeOnly(10, 0));
        for (var i = 0; i < participants.Count; i++)
        {
            var app = "app-" + i.ToString(CultureInfo.InvariantCulture);
            Registry.Add(new ApplicationSubmitted(registered.AddMinutes(i), app, participants[i], "University " + i, [IPPrefix.Parse($"10.{i}.0.0/16")], ["soc@example.ac.jp"], []));
            Registry.Add(new ApplicationApproved(registered.AddHours(1 + i), app));
        }

        // Weeks w0..w1 inside 2026; the state is read a day into the last epoch, whose key is still current.
        var firstWeek = random.Next(1, 30);
        var weeks = random.Next(2, 12);
        var firstEpochStart = Jst.At(new DateOnly(2026, 1, 5)).AddDays(7 * firstWeek);
        AsOf = firstEpochStart.AddDays((7 * (weeks - 1)) + 1);
        foreach (var participant in participants)
        {
            var first = schedule.EpochOf(participant, firstEpochStart);
            for (var k = 0; k < weeks; k++)
            {
                var epoch = first with { Index = first.Index + k };
                var start = schedule.StartOf(epoch);
                var end = schedule.EndOf(epoch);
                var lag = TimeSpan.FromMinutes(random.Next(0, 59));
                if (k > 0)
                {
                    var old = first with { Index = first.Index + k - 1 };
                    Raw(start + lag, KeyRotationRecord.Actor, KeyRotationRecord.DestroyedAction, KeyRotationRecord.SubjectOf(old), "end=" + Iso(start));
                }

                Raw(start + lag + TimeSpan.FromSeconds(1), KeyRotationRecord.Actor, KeyRotationRecord.CreatedAction, KeyRotationRecord.SubjectOf(epoch), KeyRotationRecord.DetailsOfCreation(start, end));
            }

            // Partitions: the four months the default policy keeps are stored; older months were deleted on time.
            var current = JstMonth.Of(AsOf);
            for (var m = 0; m < 4; m++)
            {
                Partitions.Add((participant, current.Plus(-m), random.Next(0, 500)));
            }

            for (var month = new JstMonth(2025, 9); month < current.Plus(-3); month = month.Plus(1))
            {
                var expiry = Settings.DefaultRetention.ExpiryOf(month);
                if (expiry >= Settings.From && expiry < AsOf)
                {
                    Raw(expiry.AddMinutes(random.Next(0, 720)), "system:retention-sweeper", "retention.partition.deleted", $"detections/{participant}/{month}", $"expired {Iso(expiry)}; directory removed and checked gone");
                }
            }
        }

        // Consent: requests approved an hour later, viewed under their grant; some denied; a fault access and its mail.
        var window = (AsOf - Settings.From).TotalHours - 200;
        for (var r = 0; r < random.Next(1, 5); r++)
        {
            var participant = participants[random.Next(participants.Count)];
            var requester = Actor.Staff("analyst" + r.ToString(CultureInfo.InvariantCulture));
            var at = Settings.From.AddHours(random.Next(0, (int)window));
            var records = Enumerable.Range(0, random.Next(1, 4)).Select(_ => NextDetectionId(random, at.AddHours(-random.Next(1, 100)))).ToList();
            var request = new DecryptionRequest(new RequestId(NextGuid(random)), requester, participant, new ConsentScope.RecordList(records), (Purpose)random.Next(0, 4), "look at it", at, at.AddDays(3));
            Consent.Add(new ConsentEvent.Requested(request));
            Raw(at, requester.ToString(), "consent.request.filed", "consent/" + request.Id, request.PurposeText);
            var decider = Actor.Operator(participant, "operator");
            if (random.Next(3) == 0)
            {
                Consent.Add(new ConsentEvent.Denied(request.Id, decider, "not now", at.AddHours(2)));
                Raw(at.AddHours(2), decider.ToString(), "consent.denied", "consent/" + request.Id, "not now");
                continue;
            }

            var grant = new GrantId(NextGuid(random));
            Consent.Add(new ConsentEvent.Approved(request.Id, decider, grant, [], at.AddDays(7), at.AddHours(1)));
            Raw(at.AddHours(1), decider.ToString(), "consent.approved", "consent/" + request.Id, "grant " + grant);
            foreach (var record in records)
            {
                var when = at.AddHours(1).AddMinutes(random.Next(1, 6000));
                Consent.Add(new ConsentEvent.Viewed(grant, requester, record, when));
                Raw(when, requester.ToString(), "consent.viewed", "detections/" + participant + "/" + record, "grant=" + grant);
            }
        }

        var faultAt = Settings.From.AddHours(random.Next(0, (int)window));
        var incident = "INC-" + random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var faultRecord = NextDetectionId(random, faultAt.AddHours(-3));
        Consent.Add(new ConsentEvent.FaultAccessed(faultRecord, participants[0], Actor.Staff("oncall"), "parser crash", incident, faultAt));
        Raw(faultAt, "staff:oncall", "consent.fault-access", "detections/" + participants[0] + "/" + faultRecord, incident);
        Raw(faultAt.AddMinutes(30), "system:mail", "mail.sent", "mail/" + participants[0], "fault access notice " + incident);

        if (deviations.ViewWithoutGrant)
        {
            var when = Settings.From.AddHours(random.Next(0, (int)window));
            var grant = new GrantId(NextGuid(random));
            var record = NextDetectionId(random, when.AddHours(-5));
            Consent.Add(new ConsentEvent.Viewed(grant, Actor.Staff("curious"), record, when));
            Raw(when, "staff:curious", "consent.viewed", "detections/" + participants[0] + "/" + record, "grant=" + grant);
        }

        if (deviations.PartitionPastExpiry)
        {
            Partitions.Add((participants[random.Next(participants.Count)], JstMonth.Of(AsOf).Plus(-4 - random.Next(0, 3)), random.Next(1, 100)));
        }

        if (deviations.LateDestruction)
        {
            var destroyed = _raw.Select((e, i) => (e, i)).Where(p => p.e.Action == KeyRotationRecord.DestroyedAction).ToList();
            var (entry, index) = destroyed[random.Next(destroyed.Count)];
            var end = DateTimeOffset.ParseExact(entry.Details["end=".Length..], "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            _raw[index] = entry with { At = end + Settings.DestructionGrace + TimeSpan.FromMinutes(random.Next(1, 20 * 60)) };
        }

        var ordered = _raw.OrderBy(e => e.At).ThenBy(e => e.Action, StringComparer.Ordinal).ToList();
        var previous = OperationEntry.GenesisHash;
        for (var i = 0; i < ordered.Count; i++)
        {
            var (at, actor, action, subject, details) = ordered[i];
            var entry = OperationEntry.Create(i + 1, at, actor, action, subject, details, previous);
            History.Add(entry);
            previous = entry.Hash;
        }

        if (deviations.RemovedEntry)
        {
            // The last entry is left: without a signed checkpoint beyond it, its removal leaves no trace. A key
            // destruction is left too, so a late one injected above keeps its evidence.
            var removable = Enumerable.Range(0, History.Count - 1).Where(i => History[i].Action != KeyRotationRecord.DestroyedAction).ToList();
            History.RemoveAt(removable[random.Next(removable.Count)]);
        }
    }

    public int Seed { get; }

    public Deviations Deviations { get; }

    public DateTimeOffset AsOf { get; }

    internal List<OperationEntry> History { get; } = [];

    internal List<ConsentEvent> Consent { get; } = [];

    internal List<RegistryEvent> Registry { get; } = [];

    public List<(ParticipantId Participant, JstMonth Month, long Records)> Partitions { get; } = [];

    public static InspectionScenario Create(int seed, Deviations deviations) => new(seed, deviations);

    internal InspectionReport Inspect()
    {
        var builder = new InspectionBuilder(Settings, AsOf);
        Consent.ForEach(builder.AddConsentEvent);
        History.ForEach(builder.AddHistoryEntry);
        Registry.ForEach(builder.AddRegistryEvent);
        foreach (var (participant, month, records) in Partitions)
        {
            builder.AddPartition(participant, month, records);
        }

        return builder.Build();
    }

    public override string ToString() => $"seed {Seed}, {Deviations}, {History.Count} entries, {Consent.Count} consent events";

    /// <summary>A random GUID from the scenario's seed, so a seed always gives the same scenario.</summary>
    private static Guid NextGuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>A version-7 id carrying its observation millisecond, as <see cref="DetectionId.New"/> makes, from the seed.</summary>
    private static DetectionId NextDetectionId(Random random, DateTimeOffset observedAt)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        var ms = observedAt.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)ms;
            ms >>= 8;
        }

        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new DetectionId(new Guid(bytes, bigEndian: true));
    }

    private void Raw(DateTimeOffset at, string actor, string action, string subject, string details) => _raw.Add((at, actor, action, subject, details));

    private static string Iso(DateTimeOffset instant) => Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}

/// <summary>Arbitraries for the inspection properties.</summary>
public static class InspectionArbitraries
{
    public static Arbitrary<Deviations> Deviations() => Arb.From(
        from late in ArbMap.Default.GeneratorFor<bool>()
        from view in ArbMap.Default.GeneratorFor<bool>()
        from partition in ArbMap.Default.GeneratorFor<bool>()
        from removed in ArbMap.Default.GeneratorFor<bool>()
        select new Deviations(late, view, partition, removed));

    public static Arbitrary<InspectionScenario> Scenarios() => Arb.From(
        from seed in Gen.Choose(0, int.MaxValue - 1)
        from deviations in Deviations().Generator
        select InspectionScenario.Create(seed, deviations));
}
