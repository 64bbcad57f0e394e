using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Consent;

/// <summary>Model-based tests: random sequences of consent commands against a simple model (STYLE §8).</summary>
public class ConsentLedgerModel
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly ParticipantId[] s_participants = [new("u-a"), new("u-b")];

    private static readonly DetectionRecord[] s_records =
    [
        .. from p in Enumerable.Range(0, 2)
           from i in Enumerable.Range(0, 4)
           select Record(s_participants[p], epoch: i / 2, minutes: i * 30),
    ];

    // One step of a random session.
    public abstract record Op;

    public sealed record RequestOp(int Participant, bool ByStaff, bool ByRecords, int DeadlineMinutes) : Op;

    public sealed record DecideOp(int Request, bool OwnOperator, bool Approve, bool PresentAllKeys, int GrantMinutes) : Op;

    public sealed record RevokeOp(int Grant, int RevokerParticipant) : Op;

    public sealed record ViewOp(int Grant, bool AsGrantee, int Record) : Op;

    public sealed record FaultOp(int Record, bool ByStaff, bool WithReason) : Op;

    public sealed record AdvanceOp(int Minutes) : Op;

    private static Gen<Op> OpGen =>
        Gen.OneOf(
            from p in Gen.Choose(0, 1) from staff in Gen.Elements(true, false) from byRecords in Gen.Elements(true, false) from d in Gen.Choose(1, 240)
            select (Op)new RequestOp(p, staff, byRecords, d),
            from r in Gen.Choose(0, 5) from own in Gen.Elements(true, true, true, false) from a in Gen.Elements(true, true, false) from all in Gen.Elements(true, true, true, false) from g in Gen.Choose(-5, 240)
            select (Op)new DecideOp(r, own, a, all, g),
            from g in Gen.Choose(0, 3) from p in Gen.Choose(0, 1) select (Op)new RevokeOp(g, p),
            from g in Gen.Choose(0, 3) from grantee in Gen.Elements(true, true, false) from r in Gen.Choose(0, s_records.Length - 1)
            select (Op)new ViewOp(g, grantee, r),
            from g in Gen.Choose(0, 3) from grantee in Gen.Elements(true, true, false) from r in Gen.Choose(0, s_records.Length - 1)
            select (Op)new ViewOp(g, grantee, r),
            from r in Gen.Choose(0, s_records.Length - 1) from staff in Gen.Elements(true, false) from reason in Gen.Elements(true, false)
            select (Op)new FaultOp(r, staff, reason),
            from m in Gen.Choose(1, 120) select (Op)new AdvanceOp(m));

    private static Arbitrary<Op[]> Sessions => Arb.From(Gen.ArrayOf(OpGen).Select(a => a.Take(60).ToArray()));

    [Property(MaxTest = 300)]
    [Trait("Requirement", "R8.6")]
    public Property R8_6_no_plaintext_without_a_covering_live_grant_or_a_recorded_fault_access() =>
        Prop.ForAll(Sessions, ops =>
        {
            var run = Run(ops);
            return (run.Violations.Count == 0).Label(string.Join("; ", run.Violations))
                .Classify(run.SuccessfulViews > 0, "some views allowed")
                .Classify(run.RefusedViews > 0, "some views refused");
        });

    [Property(MaxTest = 200)]
    [Trait("Requirement", "R8.5")]
    public Property R8_5_every_allowed_view_is_in_the_history_and_the_fold_of_the_events_is_the_ledger() =>
        Prop.ForAll(Sessions, ops =>
        {
            var run = Run(ops);
            var refolded = ConsentLedger.Fold(run.Events);
            return run.Ledger.Views.Count == run.SuccessfulViews
                && refolded.Views.SequenceEqual(run.Ledger.Views)
                && refolded.FaultAccesses.SequenceEqual(run.Ledger.FaultAccesses)
                && refolded.Grants.Count() == run.Ledger.Grants.Count();
        });

    private sealed record RunResult(ConsentLedger Ledger, List<ConsentEvent> Events, List<string> Violations, int SuccessfulViews, int RefusedViews);

    private sealed record ModelRequest(RequestId Id, ParticipantId Participant, Actor Requester, ConsentScope Scope, DateTimeOffset Deadline)
    {
        public bool Decided { get; set; }
    }

    private sealed record ModelGrant(GrantId Id, ModelRequest Request, DateTimeOffset ExpiresAt)
    {
        public DateTimeOffset? RevokedAt { get; set; }
    }

    private static RunResult Run(Op[] ops)
    {
        var ledger = ConsentLedger.Empty;
        var events = new List<ConsentEvent>();
        var violations = new List<string>();
        var requests = new List<ModelRequest>();
        var grants = new List<ModelGrant>();
        var now = s_t0.AddHours(2);
        int views = 0, refused = 0, n = 0;

        void Store(ConsentEvent e)
        {
            events.Add(e);
            ledger = ledger.Apply(e);
        }

        foreach (var op in ops)
        {
            n++;
            switch (op)
            {
                case RequestOp r:
                {
                    var participant = s_participants[r.Participant];
                    var requester = r.ByStaff ? Actor.Staff("staff-1") : Actor.Operator(participant, "op");
                    ConsentScope scope = r.ByRecords
                        ? new ConsentScope.RecordList([s_records[r.Participant * 4].Id, s_records[(r.Participant * 4) + 3].Id])
                        : new ConsentScope.TimeRange(s_t0, s_t0.AddMinutes(61));
                    var request = new DecryptionRequest(new RequestId(Guid.NewGuid()), requester, participant, scope, Purpose.Investigation, "check", now, now.AddMinutes(r.DeadlineMinutes));
                    if (ledger.TryRequest(request, now, out var e, out _))
                    {
                        Store(e);
                        requests.Add(new ModelRequest(request.Id, participant, requester, scope, request.Deadline));
                    }

                    break;
                }

                case DecideOp d when requests.Count > 0:
                {
                    var model = requests[d.Request % requests.Count];
                    var decider = Actor.Operator(d.OwnOperator ? model.Participant : s_participants.First(p => p != model.Participant), "op");
                    var required = s_records.Where(x => x.Participant == model.Participant && model.Scope.Covers(x)).Select(x => x.Epoch).Distinct().ToList();
                    var presented = d.PresentAllKeys ? required : required.Skip(1).ToList();
                    var mayDecide = decider.Participant == model.Participant && !model.Decided && now < model.Deadline;
                    bool ok;
                    if (d.Approve)
                    {
                        var grantId = new GrantId(Guid.NewGuid());
                        ok = ledger.TryApprove(model.Id, decider, required, presented, grantId, now.AddMinutes(d.GrantMinutes), now, out var a, out _);
                        if (ok)
                        {
                            Store(a);
                            grants.Add(new ModelGrant(grantId, model, a.GrantExpiresAt));
                        }

                        var expected = mayDecide && (d.PresentAllKeys || required.Count == 0) && d.GrantMinutes > 0;
                        if (ok != expected)
                        {
                            violations.Add($"step {n}: approve returned {ok}, model expected {expected}");
                        }
                    }
                    else
                    {
                        ok = ledger.TryDeny(model.Id, decider, "no", now, out var e, out _);
                        if (ok)
                        {
                            Store(e);
                        }

                        if (ok != mayDecide)
                        {
                            violations.Add($"step {n}: deny returned {ok}, model expected {mayDecide}");
                        }
                    }

                    if (ok)
                    {
                        model.Decided = true;
                    }

                    if (ok && decider.Participant != model.Participant)
                    {
                        violations.Add($"step {n}: an operator of {decider.Participant} decided a request of {model.Participant}");
                    }

                    break;
                }

                case RevokeOp v when grants.Count > 0:
                {
                    var grant = grants[v.Grant % grants.Count];
                    var revoker = Actor.Operator(s_participants[v.RevokerParticipant], "op");
                    var ok = ledger.TryRevoke(grant.Id, revoker, now, out var e, out _);
                    var expected = revoker.Participant == grant.Request.Participant && now < grant.ExpiresAt && grant.RevokedAt is null;
                    if (ok != expected)
                    {
                        violations.Add($"step {n}: revoke returned {ok}, model expected {expected}");
                    }

                    if (ok)
                    {
                        Store(e);
                        grant.RevokedAt = now;
                    }

                    break;
                }

                case ViewOp w when grants.Count > 0:
                {
                    var grant = grants[w.Grant % grants.Count];
                    // Mostly records of the grant's own participant, so that views are often allowed.
                    var record = w.Record < 6 ? s_records.Where(x => x.Participant == grant.Request.Participant).ElementAt(w.Record % 4) : s_records[w.Record];
                    var viewer = w.AsGrantee ? grant.Request.Requester : Actor.Staff("someone-else");
                    var ok = ledger.TryView(grant.Id, viewer, record, now, out var e, out _);
                    var covered = now < grant.ExpiresAt && grant.RevokedAt is null
                        && viewer == grant.Request.Requester
                        && record.Participant == grant.Request.Participant
                        && grant.Request.Scope.Covers(record);
                    if (ok && !covered)
                    {
                        violations.Add($"step {n}: view of {record.Id} allowed without a covering live grant");
                    }

                    if (!ok && covered)
                    {
                        violations.Add($"step {n}: view of {record.Id} refused under a covering live grant");
                    }

                    if (ok)
                    {
                        Store(e);
                        views++;
                    }
                    else
                    {
                        refused++;
                    }

                    break;
                }

                case FaultOp f:
                {
                    var ok = ConsentLedger.TryFaultAccess(s_records[f.Record], f.ByStaff ? Actor.Staff("s") : Actor.Operator(s_participants[0], "op"), f.WithReason ? "disk fault" : " ", "INC-1", now, out var e, out _);
                    if (ok != (f.ByStaff && f.WithReason))
                    {
                        violations.Add($"step {n}: fault access returned {ok}");
                    }

                    if (ok)
                    {
                        Store(e);
                    }

                    break;
                }

                case AdvanceOp a:
                    now = now.AddMinutes(a.Minutes);
                    break;
            }

            // After every step: every recorded view has a grant that was live and covering at that instant.
            foreach (var view in ledger.Views)
            {
                // A view in the same instant as a later revocation came before it, so it is allowed.
                if (!ledger.TryGetGrant(view.Grant, out var g) || view.When >= g.ExpiresAt || (g.RevokedAt is { } revokedAt && view.When > revokedAt))
                {
                    violations.Add($"step {n}: view {view.Record} at {view.When:O} has no live grant");
                }

                var status = ledger.StatusOf(g!.Request, view.When);
                if (status != RequestStatus.Approved)
                {
                    violations.Add($"step {n}: view under a request that is {status}");
                }
            }
        }

        return new RunResult(ledger, events, violations, views, refused);
    }

    private static DetectionRecord Record(ParticipantId participant, int epoch, int minutes)
    {
        var at = s_t0.AddMinutes(minutes);
        return new DetectionRecord
        {
            Id = DetectionId.New(at),
            Participant = participant,
            Epoch = new EpochId(participant, 100 + epoch),
            Header = new DetectionHeader { ObservedAt = at, Source = IPAddress.Parse("192.0.2.1"), Destination = IPAddress.Parse("198.51.100.1"), Protocol = 6 },
            Rule = new RuleRef(1, 1, "test", null, 1),
        };
    }
}
