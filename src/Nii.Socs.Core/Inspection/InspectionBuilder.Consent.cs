using System.Globalization;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Inspection;

/// <content>Consent: requests, decisions, views and fault accesses.</content>
internal sealed partial class InspectionBuilder
{
    private readonly Dictionary<RequestId, DecryptionRequest> _requests = [];
    private readonly HashSet<RequestId> _decided = [];
    private readonly Dictionary<GrantId, GrantFacts> _grants = [];
    private readonly Dictionary<string, long> _byRequester = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _byPurpose = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, (long Approved, long Denied)> _decisionsPerMonth = new(StringComparer.Ordinal);
    private readonly List<FaultFacts> _faults = [];
    private readonly Audit.ConsentHistoryCrossCheck _pairs = new();
    private long _staffRequestsOutsideHours;
    private bool _historyStarted;
    private long _consentEvents;
    private long _approved;
    private long _denied;
    private long _decisionCount;
    private TimeSpan _decisionTotal;
    private TimeSpan _decisionMax;
    private long _views;
    private long _viewsCovered;

    /// <summary>Feeds the next consent event, in log order; all of them before the first history entry.</summary>
    /// <param name="consentEvent">The event.</param>
    /// <exception cref="ArgumentNullException"><paramref name="consentEvent"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A history entry was fed already, or the report was built.</exception>
    /// <remarks>
    /// R7.2, R8.5, R8.6. A view is covered when its grant exists, was approved before the view, had neither
    /// expired nor been revoked, was given to the viewer, and its scope covers the record: a record list by id; a
    /// time range by the observation time a version-7 <see cref="DetectionId"/> carries (to the millisecond).
    /// Unlike <see cref="ConsentLedger.Fold"/>, an event naming an unknown grant is not an error here: it is the
    /// finding the report exists to show.
    /// <para>Edge case: a view one tick after its grant expired is a finding.</para>
    /// </remarks>
    public void AddConsentEvent(ConsentEvent consentEvent)
    {
        ArgumentNullException.ThrowIfNull(consentEvent);
        ThrowIfBuilt();
        if (_historyStarted)
        {
            throw new InvalidOperationException("Consent events are fed before the operation history, so fault-access notices can be matched in one pass.");
        }

        var number = ++_consentEvents;
        _pairs.Add(consentEvent);
        switch (consentEvent)
        {
            case ConsentEvent.Requested r:
                _requests.TryAdd(r.Request.Id, r.Request);
                if (InYear(r.Request.RequestedAt))
                {
                    Increment(_byRequester, r.Request.Requester.Kind == ActorKind.Staff ? "staff" : "operator");
                    if (r.Request.Requester.Kind == ActorKind.Staff && !_settings.Calendar.IsInServiceHours(r.Request.RequestedAt))
                    {
                        _staffRequestsOutsideHours++;
                    }
                    Increment(_byPurpose, r.Request.Purpose.ToString().ToLowerInvariant());
                }

                break;
            case ConsentEvent.Approved a:
                Decide(a.Request, a.When, approved: true);
                if (_requests.TryGetValue(a.Request, out var request))
                {
                    _grants.TryAdd(a.Grant, new GrantFacts(request.Requester, request.Scope, a.When, a.GrantExpiresAt));
                }

                break;
            case ConsentEvent.Denied d:
                Decide(d.Request, d.When, approved: false);
                break;
            case ConsentEvent.Revoked v:
                if (_grants.TryGetValue(v.Grant, out var revoked) && revoked.RevokedAt is null)
                {
                    revoked.RevokedAt = v.When;
                }

                break;
            case ConsentEvent.Viewed v:
                ObserveView(v, number);
                break;
            case ConsentEvent.FaultAccessed f:
                if (InYear(f.When))
                {
                    _faults.Add(new FaultFacts(number, f.When, f.Participant.Value, f.Record.ToString(), f.Staff.ToString(), f.Reason, f.Incident));
                }

                break;
            default:
                // KeyRefused: a refused key is part of a pending request; it decides nothing.
                break;
        }
    }

    private void Decide(RequestId id, DateTimeOffset when, bool approved)
    {
        if (!_requests.TryGetValue(id, out var request) || !_decided.Add(id) || !InYear(when))
        {
            return;
        }

        var month = JstMonth.Of(when).ToString();
        var (a, d) = _decisionsPerMonth.GetValueOrDefault(month);
        _decisionsPerMonth[month] = approved ? (a + 1, d) : (a, d + 1);
        if (approved)
        {
            _approved++;
        }
        else
        {
            _denied++;
        }

        if (when >= request.RequestedAt)
        {
            var service = _settings.Calendar.ServiceTimeBetween(request.RequestedAt, when);
            _decisionCount++;
            _decisionTotal += service;
            _decisionMax = service > _decisionMax ? service : _decisionMax;
        }
    }

    private void ObserveView(ConsentEvent.Viewed view, long number)
    {
        if (!InYear(view.When))
        {
            return;
        }

        _views++;
        var why = WhyNotCovered(view);
        if (why is null)
        {
            _viewsCovered++;
            return;
        }

        AddFinding(
            FindingCodes.ViewWithoutGrant,
            "R7.2",
            $"{view.Viewer} viewed record {view.Record} at {Iso(view.When)} under grant {view.Grant}, which {why}",
            [],
            string.Create(CultureInfo.InvariantCulture, $"consent#{number}"));
    }

    private string? WhyNotCovered(ConsentEvent.Viewed view)
    {
        if (!_grants.TryGetValue(view.Grant, out var grant))
        {
            return "does not exist";
        }

        if (view.When < grant.ApprovedAt)
        {
            return "was not yet approved";
        }

        if (view.When >= grant.ExpiresAt)
        {
            return $"expired {Iso(grant.ExpiresAt)}";
        }

        if (grant.RevokedAt is { } revokedAt && view.When >= revokedAt)
        {
            return $"was revoked {Iso(revokedAt)}";
        }

        if (grant.Grantee != view.Viewer)
        {
            return $"was given to {grant.Grantee}";
        }

        return grant.Scope switch
        {
            ConsentScope.RecordList list when !list.Ids.Contains(view.Record) => "does not list the record",
            ConsentScope.TimeRange range when ObservedMillisecond(view.Record) is { } ms
                && (ms < range.From.ToUnixTimeMilliseconds() || ms >= CeilingMillisecond(range.To)) => $"covers only {range.From:O}..{range.To:O}",
            _ => null,
        };
    }

    // The id keeps the observation time to the millisecond: a record observed before To can share To's
    // millisecond when To has a fraction of one, so the bound is rounded up, never down.
    private static long CeilingMillisecond(DateTimeOffset instant) =>
        instant.ToUnixTimeMilliseconds() + (instant.UtcTicks % TimeSpan.TicksPerMillisecond == 0 ? 0 : 1);

    private static long? ObservedMillisecond(DetectionId id)
    {
        if (id.Value.Version != 7)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        id.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        long ms = 0;
        for (var i = 0; i < 6; i++)
        {
            ms = (ms << 8) | bytes[i];
        }

        return ms;
    }

    private InspectionReport.ConsentSection BuildConsent()
    {
        long expired = 0, pending = 0;
        foreach (var (id, request) in _requests)
        {
            if (_decided.Contains(id) || request.RequestedAt >= _asOf)
            {
                continue;
            }

            if (request.Deadline > _asOf)
            {
                pending++;
            }
            else if (InYear(request.Deadline))
            {
                expired++;
            }
        }

        var faults = new List<InspectionReport.FaultAccessRow>();
        foreach (var f in _faults)
        {
            var told = f.NoticeEntry is not null;
            faults.Add(new InspectionReport.FaultAccessRow(f.Number, Jst.ToJst(f.At), f.Participant, f.Record, f.Staff, f.Reason, f.Incident, told, f.NoticeEntry)
            {
                OutsideServiceHours = !_settings.Calendar.IsInServiceHours(f.At),
            });
            if (!told)
            {
                AddFinding(
                    FindingCodes.FaultAccessNotTold,
                    "R7.2",
                    $"{f.Staff} accessed record {f.Record} of {f.Participant} for a fault ({f.Incident}) and no notice to the participant names it",
                    [],
                    string.Create(CultureInfo.InvariantCulture, $"consent#{f.Number}"));
            }
        }

        return new InspectionReport.ConsentSection(
            Counts(_byRequester),
            Counts(_byPurpose),
            _approved,
            _denied,
            expired,
            pending,
            _decisionCount == 0 ? 0 : Math.Round(_decisionTotal.TotalHours / _decisionCount, 2),
            Hours(_decisionMax),
            [.. _decisionsPerMonth.Select(p => new InspectionReport.MonthDecisions(p.Key, p.Value.Approved, p.Value.Denied))],
            _views,
            _viewsCovered,
            faults)
        {
            StaffRequestsOutsideServiceHours = _staffRequestsOutsideHours,
            FaultAccessesOutsideServiceHours = faults.Count(f => f.OutsideServiceHours),
        };
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("The report was already built; start a new builder.");
        }
    }

    private sealed class GrantFacts(Actor grantee, ConsentScope scope, DateTimeOffset approvedAt, DateTimeOffset expiresAt)
    {
        public Actor Grantee { get; } = grantee;

        public ConsentScope Scope { get; } = scope;

        public DateTimeOffset ApprovedAt { get; } = approvedAt;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public DateTimeOffset? RevokedAt { get; set; }
    }

    private sealed class FaultFacts(long number, DateTimeOffset at, string participant, string record, string staff, string reason, string incident)
    {
        public long Number { get; } = number;

        public DateTimeOffset At { get; } = at;

        public string Participant { get; } = participant;

        public string Record { get; } = record;

        public string Staff { get; } = staff;

        public string Reason { get; } = reason;

        public string Incident { get; } = incident;

        public long? NoticeEntry { get; set; }
    }
}
