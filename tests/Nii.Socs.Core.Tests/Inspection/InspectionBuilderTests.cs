using System.Collections.Immutable;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Time;
using Snapshooter.Xunit;

namespace Nii.Socs.Core.Tests.Inspection;

public class InspectionBuilderTests
{
    /// <summary>The findings other than the consent/history cross-check, for tests that feed consent events without their history entries.</summary>
    private static List<Finding> Others(InspectionReport report) => [.. report.Findings.Where(f => f.Code != FindingCodes.ConsentHistoryUnpaired)];
    private static readonly ParticipantId s_tokyo = new("u-tokyo");
    private static readonly InspectionSettings s_2026 = new(2026);
    private static readonly DateTimeOffset s_asOf = Jst.At(new DateOnly(2026, 11, 29), new TimeOnly(12, 0));

    [Fact]
    public void Report_json_of_a_fixed_year_snapshot()
    {
        var scenario = InspectionScenario.Create(2026, new Deviations(true, true, true, true));
        var t = Jst.At(new DateOnly(2026, 6, 1), new TimeOnly(10, 0));
        scenario.Registry.AddRange(
        [
            new ApplicationSubmitted(t, "app-x", new ParticipantId("u-x"), "Refused U", [IPPrefix.Parse("192.0.2.0/24")], ["x@example.ac.jp"], []),
            new ApplicationRefused(t.AddDays(1), "app-x", "not a SINET member (R12.2 (1))"),
            new AgreementMade(t.AddDays(2), new ParticipantId("u-a"), 6, new DateOnly(2026, 7, 1)),
            new ExclusionStarted(t.AddDays(3), "ex-1", [IPPrefix.Parse("10.0.0.0/24")], t.AddDays(4), "sensor overload (R5.2)"),
            new ExclusionEnded(t.AddDays(3).AddHours(6), "ex-1"),
            new ParticipantTerminated(t.AddDays(5), new ParticipantId("u-a"), new DateOnly(2027, 4, 1)),
        ]);
        var report = scenario.Inspect();

        var json = InspectionJson.Serialize(report);

        json.MatchSnapshot();
        Assert.Equal(json, InspectionJson.Serialize(InspectionJson.Deserialize(json)));
    }

    [Fact]
    public void Fault_access_is_told_only_by_a_sent_mail_naming_it_after_the_access()
    {
        var at = Jst.At(new DateOnly(2026, 3, 2), new TimeOnly(10, 0));
        var fault = new ConsentEvent.FaultAccessed(DetectionId.New(at.AddHours(-1)), s_tokyo, Actor.Staff("oncall"), "disk fault", "INC-7", at);
        var history = Chain(
            (at.AddMinutes(-5), "mail.sent", "mail/u-tokyo", "INC-7 early"),
            (at.AddMinutes(5), "mail.failed", "mail/u-tokyo", "INC-7 bounce"));
        var untold = Inspect([fault], history);
        // These reports have a fault access without its consent.fault-access entry: the cross-check names it.
        Assert.Contains(untold.Findings, f => f.Code == FindingCodes.ConsentHistoryUnpaired && f.Message.Contains("has no history entry", StringComparison.Ordinal));
        var told = Inspect([fault], Chain((at.AddMinutes(5), "mail.sent", "mail/u-tokyo", "notice of fault access INC-7")));
        var noticed = Inspect([fault], Chain((at, "consent.fault-access.notice", "participant/u-tokyo", $"record={fault.Record} incident=INC-7 staff=oncall reason=disk fault")));

        var finding = Assert.Single(Others(untold));
        Assert.Equal(FindingCodes.FaultAccessNotTold, finding.Code);
        Assert.Equal(["consent#1"], finding.OtherEvidence);
        Assert.False(untold.Consent.FaultAccesses[0].Told);
        Assert.Empty(Others(told));
        Assert.Equal(1, told.Consent.FaultAccesses[0].NoticeEntry);
        Assert.Empty(Others(noticed));
        Assert.True(noticed.Consent.FaultAccesses[0].Told);
        Assert.Equal(1, untold.Notifications.Failures);
    }

    [Theory]
    [InlineData("live", null)]
    [InlineData("expired", "expired")]
    [InlineData("revoked", "was revoked")]
    [InlineData("other-viewer", "was given to")]
    [InlineData("not-listed", "does not list the record")]
    [InlineData("before-approval", "was not yet approved")]
    public void A_view_is_covered_only_by_a_live_grant_to_the_viewer_that_lists_the_record(string situation, string? why)
    {
        var at = Jst.At(new DateOnly(2026, 5, 11), new TimeOnly(10, 0));
        var analyst = Actor.Staff("analyst");
        var record = DetectionId.New(at.AddDays(-1));
        var listed = situation == "not-listed" ? DetectionId.New(at.AddDays(-2)) : record;
        var request = new DecryptionRequest(new RequestId(Guid.NewGuid()), analyst, s_tokyo, new ConsentScope.RecordList([listed]), Purpose.Investigation, "why", at, at.AddDays(3));
        var grant = new GrantId(Guid.NewGuid());
        var events = new List<ConsentEvent>
        {
            new ConsentEvent.Requested(request),
            new ConsentEvent.Approved(request.Id, Actor.Operator(s_tokyo, "op"), grant, [], at.AddDays(2), at.AddHours(1)),
        };
        if (situation == "revoked")
        {
            events.Add(new ConsentEvent.Revoked(grant, Actor.Operator(s_tokyo, "op"), at.AddHours(3)));
        }

        var when = situation switch { "expired" => at.AddDays(2), "before-approval" => at.AddMinutes(30), _ => at.AddHours(4) };
        events.Add(new ConsentEvent.Viewed(grant, situation == "other-viewer" ? Actor.Staff("someone") : analyst, record, when));

        var report = Inspect(events, []);

        Assert.Equal(1, report.Consent.Views);
        if (why is null)
        {
            Assert.Empty(Others(report));
            Assert.Equal(1, report.Consent.ViewsCovered);
        }
        else
        {
            Assert.Contains(why, Assert.Single(Others(report)).Message, StringComparison.Ordinal);
            Assert.Equal(0, report.Consent.ViewsCovered);
        }
    }

    [Fact]
    public void A_time_range_grant_covers_records_observed_inside_it_by_their_id()
    {
        var at = Jst.At(new DateOnly(2026, 5, 11), new TimeOnly(10, 0));
        var analyst = Actor.Staff("analyst");
        var from = at.AddDays(-2);
        var request = new DecryptionRequest(new RequestId(Guid.NewGuid()), analyst, s_tokyo, new ConsentScope.TimeRange(from, at.AddDays(-1)), Purpose.Research, "why", at, at.AddDays(3));
        var grant = new GrantId(Guid.NewGuid());
        var report = Inspect(
            [
                new ConsentEvent.Requested(request),
                new ConsentEvent.Approved(request.Id, Actor.Operator(s_tokyo, "op"), grant, [], at.AddDays(2), at.AddHours(1)),
                new ConsentEvent.Viewed(grant, analyst, DetectionId.New(from), at.AddHours(2)),
                new ConsentEvent.Viewed(grant, analyst, DetectionId.New(at.AddDays(-1).AddTicks(-1)), at.AddHours(2)),
                new ConsentEvent.Viewed(grant, analyst, DetectionId.New(at.AddDays(-1)), at.AddHours(2)),
                new ConsentEvent.Viewed(grant, analyst, DetectionId.New(from.AddMilliseconds(-1)), at.AddHours(2)),
            ],
            []);

        Assert.Equal(4, report.Consent.Views);
        Assert.Equal(2, report.Consent.ViewsCovered);
        Assert.Equal(["consent#5", "consent#6"], report.Findings.SelectMany(f => f.OtherEvidence).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Time_to_decision_counts_service_hours_only()
    {
        // Friday 2026-05-15 16:00 JST to Monday 2026-05-18 10:00 JST: one hour on Friday, one on Monday.
        var requested = Jst.At(new DateOnly(2026, 5, 15), new TimeOnly(16, 0));
        var request = new DecryptionRequest(new RequestId(Guid.NewGuid()), Actor.Staff("a"), s_tokyo, new ConsentScope.RecordList([DetectionId.New(requested)]), Purpose.Investigation, "why", requested, requested.AddDays(7));
        var denied = new RequestId(Guid.NewGuid());
        var report = Inspect(
            [
                new ConsentEvent.Requested(request),
                new ConsentEvent.Approved(request.Id, Actor.Operator(s_tokyo, "op"), new GrantId(Guid.NewGuid()), [], requested.AddDays(10), Jst.At(new DateOnly(2026, 5, 18), new TimeOnly(10, 0))),
                new ConsentEvent.Requested(request with { Id = denied, Requester = Actor.Operator(s_tokyo, "op"), RequestedAt = requested.AddDays(30), Deadline = requested.AddDays(31) }),
            ],
            []);

        Assert.Equal(2, report.Consent.DecisionHoursMean);
        Assert.Equal(2, report.Consent.DecisionHoursMax);
        Assert.Equal(1, report.Consent.Approved);
        Assert.Equal(1, report.Consent.Expired);
        Assert.Equal([new InspectionReport.KeyCount("operator", 1), new InspectionReport.KeyCount("staff", 1)], report.Consent.RequestsByRequester);
        Assert.Equal("2026-05", Assert.Single(report.Consent.DecisionsPerMonth).Month);
    }

    [Fact]
    [Trait("Requirement", "R10.1")]
    public void Staff_requests_and_fault_accesses_outside_service_hours_are_counted()
    {
        // Tuesday 2026-03-03 10:00 JST is inside service hours; Saturday 2026-03-07 10:00 and Tuesday 18:00 are not.
        var inside = Jst.At(new DateOnly(2026, 3, 3), new TimeOnly(10, 0));
        var saturday = Jst.At(new DateOnly(2026, 3, 7), new TimeOnly(10, 0));
        var evening = Jst.At(new DateOnly(2026, 3, 3), new TimeOnly(18, 0));
        ConsentEvent Request(DateTimeOffset at, Actor who) => new ConsentEvent.Requested(new DecryptionRequest(
            new RequestId(Guid.NewGuid()), who, s_tokyo, new ConsentScope.RecordList([DetectionId.New(at.AddHours(-1))]), Purpose.Investigation, "look", at, at.AddDays(3)));
        var report = Inspect(
            [
                Request(inside, Actor.Staff("a")),
                Request(saturday, Actor.Staff("b")),
                Request(evening, Actor.Operator(s_tokyo, "sato")),
                new ConsentEvent.FaultAccessed(DetectionId.New(inside), s_tokyo, Actor.Staff("oncall"), "disk fault", "INC-1", inside.AddMinutes(5)),
                new ConsentEvent.FaultAccessed(DetectionId.New(evening), s_tokyo, Actor.Staff("oncall"), "disk fault", "INC-2", evening),
            ],
            []);

        Assert.Equal(1, report.Consent.StaffRequestsOutsideServiceHours);
        Assert.Equal(1, report.Consent.FaultAccessesOutsideServiceHours);
        Assert.Equal([false, true], report.Consent.FaultAccesses.Select(f => f.OutsideServiceHours));
    }

    [Fact]
    public void Exclusions_are_coverage_gaps_of_the_participants_whose_prefixes_they_touch()
    {
        var start = Jst.At(new DateOnly(2026, 3, 3));
        var builder = new InspectionBuilder(s_2026, s_asOf);
        foreach (var e in Registered(("u-tokyo", "10.0.0.0/16"), ("kyoto-u", "10.1.0.0/16")))
        {
            builder.AddRegistryEvent(e);
        }

        builder.AddRegistryEvent(new ExclusionStarted(start, "ex-1", [IPPrefix.Parse("10.0.1.0/24")], null, "overload"));
        builder.AddRegistryEvent(new ExclusionEnded(start.AddHours(24), "ex-1"));
        var report = builder.Build();

        var coverage = report.Monitoring.Participants.ToDictionary(p => p.Participant);
        Assert.Equal(24, coverage["u-tokyo"].ExcludedHours);
        Assert.Equal(0, coverage["kyoto-u"].ExcludedHours);
        var week = report.Monitoring.Weeks.Single(w => w.Monday == new DateOnly(2026, 3, 2));
        Assert.Equal(Math.Round(1 - (24.0 / (2 * 168)), 4), week.Coverage);
        Assert.Equal(1, report.Monitoring.Weeks[0].Coverage);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void Renewals_count_the_participants_not_terminated_at_the_fiscal_year_start()
    {
        var builder = new InspectionBuilder(s_2026, s_asOf);
        foreach (var e in Registered(("u-tokyo", "10.0.0.0/16"), ("kyoto-u", "10.1.0.0/16")))
        {
            builder.AddRegistryEvent(e);
        }

        builder.AddRegistryEvent(new ParticipantTerminated(Jst.At(new DateOnly(2026, 2, 1)), new ParticipantId("kyoto-u"), new DateOnly(2026, 3, 1)));
        builder.AddRegistryEvent(new ApplicationSubmitted(Jst.At(new DateOnly(2026, 6, 1)), "late", new ParticipantId("nii"), "NII", [IPPrefix.Parse("10.2.0.0/16")], ["a@example.jp"], []));
        builder.AddRegistryEvent(new ApplicationApproved(Jst.At(new DateOnly(2026, 6, 2)), "late"));
        var report = builder.Build();

        Assert.Equal(1, report.Participants.Renewals);
        Assert.Equal(1, report.Participants.Approvals);
        Assert.Equal("kyoto-u", Assert.Single(report.Participants.Terminations).Participant);
        Assert.Equal(2, report.Participants.Active);
    }

    [Fact]
    public void An_epoch_without_recorded_destruction_is_missing_once_its_grace_passed()
    {
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var ended = schedule.EpochOf(s_tokyo, s_asOf.AddDays(-14));
        var current = ended with { Index = ended.Index + 2 };
        var history = Chain(
            (schedule.StartOf(ended), KeyRotationRecord.CreatedAction, KeyRotationRecord.SubjectOf(ended), KeyRotationRecord.DetailsOfCreation(schedule.StartOf(ended), schedule.EndOf(ended))),
            (schedule.StartOf(current), KeyRotationRecord.CreatedAction, KeyRotationRecord.SubjectOf(current), KeyRotationRecord.DetailsOfCreation(schedule.StartOf(current), schedule.EndOf(current))));

        var report = Inspect([], history);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(FindingCodes.DestructionMissing, finding.Code);
        Assert.Equal([1L], finding.HistoryEntries);
        Assert.Equal(1, Assert.Single(report.Keys.Participants).Missing);
    }

    [Fact]
    public void A_deletion_without_a_stated_expiry_is_checked_against_the_schedule()
    {
        // The 2026-01 partition expired 2026-05-01T00:00+09:00; a resumed deletion recorded on 2026-05-04 is late.
        var history = Chain((Jst.At(new DateOnly(2026, 5, 4)), "retention.partition.deleted", "detections/u-tokyo/2026-01", "finished a deletion an earlier sweep began"));

        var report = Inspect([], history);

        Assert.Equal(FindingCodes.DeletionLate, Assert.Single(report.Findings).Code);
        Assert.Equal(1, report.Retention.LateDeletions);
    }

    [Fact]
    public void A_broken_store_verification_is_a_finding_even_when_the_entries_chain()
    {
        var builder = new InspectionBuilder(s_2026, s_asOf);
        foreach (var entry in Chain((s_asOf.AddDays(-1), "retention.sweep", "detections", "nothing")))
        {
            builder.AddHistoryEntry(entry);
        }

        builder.SetHistoryVerification(new HistoryVerification.Broken(2, "the history ends at entry 1 but checkpoint #1 signed entry 2: the tail was truncated"));
        var report = builder.Build();

        Assert.Equal(FindingCodes.HistoryChainBroken, Assert.Single(report.Findings).Code);
        Assert.False(report.History.Intact);
        Assert.True(report.History.NothingRemoved);
    }

    [Fact]
    public void A_rewritten_entry_breaks_the_chain()
    {
        var history = Chain((s_asOf.AddDays(-2), "a.b", "s", "d"), (s_asOf.AddDays(-1), "a.b", "s", "d"));
        history[0] = history[0] with { Details = "rewritten" };

        var report = Inspect([], history);

        Assert.Equal([FindingCodes.HistoryChainBroken], report.Findings.Select(f => f.Code));
    }

    [Fact]
    public void Consent_events_after_the_history_are_refused()
    {
        var builder = new InspectionBuilder(s_2026, s_asOf);
        builder.AddHistoryEntry(Chain((s_asOf, "a.b", "s", "d"))[0]);
        var at = s_asOf.AddDays(-1);
        Assert.Throws<InvalidOperationException>(() => builder.AddConsentEvent(new ConsentEvent.FaultAccessed(DetectionId.New(at), s_tokyo, Actor.Staff("x"), "r", "i", at)));
        builder.Build();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void An_empty_directory_state_gives_a_clean_report()
    {
        var report = new InspectionBuilder(s_2026, s_asOf).Build();

        Assert.True(report.Clean);
        Assert.Equal(53, report.Monitoring.Weeks.Count);
        Assert.Equal(new DateOnly(2025, 12, 29), report.Monitoring.Weeks[0].Monday);
        Assert.True(report.History.NothingRemoved);
        Assert.Null(report.History.First);
    }

    private static InspectionReport Inspect(IEnumerable<ConsentEvent> consent, IEnumerable<OperationEntry> history)
    {
        var builder = new InspectionBuilder(s_2026, s_asOf);
        foreach (var e in consent)
        {
            builder.AddConsentEvent(e);
        }

        foreach (var e in history)
        {
            builder.AddHistoryEntry(e);
        }

        return builder.Build();
    }

    private static List<OperationEntry> Chain(params (DateTimeOffset At, string Action, string Subject, string Details)[] raw)
    {
        var entries = new List<OperationEntry>();
        var previous = OperationEntry.GenesisHash;
        foreach (var (at, action, subject, details) in raw)
        {
            var entry = OperationEntry.Create(entries.Count + 1, at, "test", action, subject, details, previous);
            entries.Add(entry);
            previous = entry.Hash;
        }

        return entries;
    }

    private static IEnumerable<RegistryEvent> Registered(params (string Id, string Prefix)[] participants)
    {
        var at = Jst.At(new DateOnly(2025, 10, 1));
        foreach (var (id, prefix) in participants)
        {
            yield return new ApplicationSubmitted(at, "app-" + id, new ParticipantId(id), id, ImmutableArray.Create(IPPrefix.Parse(prefix)), ["soc@example.ac.jp"], []);
            yield return new ApplicationApproved(at.AddHours(1), "app-" + id);
        }
    }
}
