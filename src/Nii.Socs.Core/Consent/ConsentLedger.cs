using System.Collections.Immutable;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Consent;

/// <summary>The consent workflow as a pure state machine (R7.2, R8.5, R8.6): commands decide, events fold.</summary>
/// <remarks>
/// Each <c>Try…</c> command checks the rules against the current state and an instant, and
/// yields the event to store, or says why not. <see cref="Apply"/> folds a stored event, so the
/// state after a restart is the fold of the stored events. Keys are not part of this state:
/// the service verifies presented keys against their commitments and holds them in memory
/// only while the grant lives.
/// <para>Invariant: a <see cref="ConsentEvent.Viewed"/> is only ever produced for a live grant
/// that covers the record, for its grantee; a denied or expired request never has a grant.</para>
/// <para>Edge case: a request whose deadline is 10:00 can still be approved at 09:59:59.999,
/// and from 10:00 its status is <see cref="RequestStatus.Expired"/>; deciding it then fails.</para>
/// </remarks>
internal sealed class ConsentLedger
{
    /// <summary>The empty ledger.</summary>
    public static readonly ConsentLedger Empty = new(
        ImmutableDictionary<RequestId, DecryptionRequest>.Empty,
        ImmutableDictionary<RequestId, ConsentEvent>.Empty,
        ImmutableDictionary<GrantId, Grant>.Empty,
        ImmutableList<ConsentEvent.Viewed>.Empty,
        ImmutableList<ConsentEvent.FaultAccessed>.Empty,
        ImmutableList<ConsentEvent.KeyRefused>.Empty);

    private readonly ImmutableDictionary<RequestId, DecryptionRequest> _requests;
    private readonly ImmutableDictionary<RequestId, ConsentEvent> _decisions;
    private readonly ImmutableDictionary<GrantId, Grant> _grants;

    private ConsentLedger(
        ImmutableDictionary<RequestId, DecryptionRequest> requests,
        ImmutableDictionary<RequestId, ConsentEvent> decisions,
        ImmutableDictionary<GrantId, Grant> grants,
        ImmutableList<ConsentEvent.Viewed> views,
        ImmutableList<ConsentEvent.FaultAccessed> faultAccesses,
        ImmutableList<ConsentEvent.KeyRefused> refusedKeys)
    {
        _requests = requests;
        _decisions = decisions;
        _grants = grants;
        Views = views;
        FaultAccesses = faultAccesses;
        RefusedKeys = refusedKeys;
    }

    /// <summary>Every view recorded, in order.</summary>
    public IReadOnlyList<ConsentEvent.Viewed> Views { get; }

    /// <summary>Every fault access recorded, in order (R7.2 exception).</summary>
    public IReadOnlyList<ConsentEvent.FaultAccessed> FaultAccesses { get; }

    /// <summary>Every refused key presentation, in order.</summary>
    public IReadOnlyList<ConsentEvent.KeyRefused> RefusedKeys { get; }

    /// <summary>Every request filed.</summary>
    public IEnumerable<DecryptionRequest> Requests => _requests.Values;

    /// <summary>Every grant made.</summary>
    public IEnumerable<Grant> Grants => _grants.Values;

    /// <summary>A request by id.</summary>
    /// <param name="id">The id.</param>
    /// <param name="request">The request when it exists.</param>
    /// <returns>Whether it exists.</returns>
    public bool TryGetRequest(RequestId id, out DecryptionRequest request) => _requests.TryGetValue(id, out request!);

    /// <summary>A grant by id.</summary>
    /// <param name="id">The id.</param>
    /// <param name="grant">The grant when it exists.</param>
    /// <returns>Whether it exists.</returns>
    public bool TryGetGrant(GrantId id, out Grant grant) => _grants.TryGetValue(id, out grant!);

    /// <summary>The grant made for a request, if it was approved.</summary>
    /// <param name="id">The request.</param>
    /// <returns>The grant; null when the request was not approved.</returns>
    public Grant? GrantOf(RequestId id) =>
        _decisions.TryGetValue(id, out var decision) && decision is ConsentEvent.Approved approved ? _grants[approved.Grant] : null;

    /// <summary>A request's status at an instant.</summary>
    /// <param name="id">The request.</param>
    /// <param name="now">The instant.</param>
    /// <returns>The status.</returns>
    /// <exception cref="KeyNotFoundException">No such request.</exception>
    public RequestStatus StatusOf(RequestId id, DateTimeOffset now)
    {
        var request = _requests[id];
        return _decisions.TryGetValue(id, out var decision)
            ? decision is ConsentEvent.Approved ? RequestStatus.Approved : RequestStatus.Denied
            : now >= request.Deadline ? RequestStatus.Expired : RequestStatus.Pending;
    }

    /// <summary>Files a decryption request (R8.5).</summary>
    /// <param name="request">The request.</param>
    /// <param name="now">The instant of filing.</param>
    /// <param name="requested">The event to store.</param>
    /// <param name="error">Why it cannot be filed.</param>
    /// <returns>Whether it can be filed.</returns>
    public bool TryRequest(DecryptionRequest request, DateTimeOffset now, out ConsentEvent.Requested requested, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(request);
        requested = null!;
        ConsentRefusal? refusal = request switch
        {
            _ when _requests.ContainsKey(request.Id) => new(ConsentRefusalCode.AlreadyExists, "R8.5", $"request {request.Id} exists already"),
            { Requester.Kind: ActorKind.Operator } when request.Requester.Participant != request.Participant =>
                new(ConsentRefusalCode.NotPermitted, "R8.5", $"{request.Requester} cannot request decryption of {request.Participant}'s records"),
            _ when string.IsNullOrWhiteSpace(request.PurposeText) => new(ConsentRefusalCode.MissingText, "R8.5", "the purpose must be stated"),
            _ when ConsentRefusal.TooLong("the purpose", request.PurposeText, "R6.4") is { } tooLong => tooLong,
            { Scope: ConsentScope.RecordList { Ids.Count: > ConsentLimits.MaxRecordIds } list } =>
                new(ConsentRefusalCode.TooLarge, "R6.4", $"the scope lists {((ConsentScope.RecordList)request.Scope).Ids.Count} records; at most {ConsentLimits.MaxRecordIds} are accepted"),
            _ when request.Deadline <= now => new(ConsentRefusalCode.InvalidTime, "R8.5", $"the deadline {request.Deadline:O} is not after the request ({now:O})"),
            { Scope: ConsentScope.RecordList { Ids.Count: 0 } } => new(ConsentRefusalCode.InvalidScope, "R8.5", "the scope names no record"),
            { Scope: ConsentScope.TimeRange r } when r.To <= r.From => new(ConsentRefusalCode.InvalidScope, "R8.5", $"the time range {r} is empty"),
            _ => null,
        };
        if (refusal is not null)
        {
            error = refusal;
            return false;
        }

        error = null;
        requested = new ConsentEvent.Requested(request with { RequestedAt = now });
        return true;
    }

    /// <summary>Approves a request (R8.6): the participant's operator presented the keys of the epochs the scope needs.</summary>
    /// <param name="id">The request.</param>
    /// <param name="decider">The deciding operator.</param>
    /// <param name="requiredEpochs">The epochs of the records in scope.</param>
    /// <param name="verifiedEpochs">The epochs whose presented keys matched their commitments.</param>
    /// <param name="grant">The id of the grant to create.</param>
    /// <param name="grantExpiresAt">When the grant ends.</param>
    /// <param name="now">The instant of the decision.</param>
    /// <param name="approved">The event to store.</param>
    /// <param name="error">Why it cannot be approved.</param>
    /// <returns>Whether it can be approved.</returns>
    public bool TryApprove(
        RequestId id,
        Actor decider,
        IReadOnlyCollection<EpochId> requiredEpochs,
        IReadOnlyCollection<EpochId> verifiedEpochs,
        GrantId grant,
        DateTimeOffset grantExpiresAt,
        DateTimeOffset now,
        out ConsentEvent.Approved approved,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(requiredEpochs);
        ArgumentNullException.ThrowIfNull(verifiedEpochs);
        approved = null!;
        if (!CanDecide(id, decider, now, out error))
        {
            return false;
        }

        var missing = requiredEpochs.Where(e => !verifiedEpochs.Contains(e)).ToList();
        if (missing.Count > 0)
        {
            error = new ConsentRefusal(ConsentRefusalCode.KeysMissing, "R8.6", $"the keys of epoch(s) {string.Join(", ", missing)} were not presented");
            return false;
        }

        if (grantExpiresAt <= now)
        {
            error = new ConsentRefusal(ConsentRefusalCode.InvalidTime, "R8.6", $"the grant's expiry {grantExpiresAt:O} is not after the decision ({now:O})");
            return false;
        }

        if (_grants.ContainsKey(grant))
        {
            error = new ConsentRefusal(ConsentRefusalCode.AlreadyExists, "R8.6", $"grant {grant} exists already");
            return false;
        }

        approved = new ConsentEvent.Approved(id, decider, grant, [.. requiredEpochs.Distinct()], grantExpiresAt, now);
        return true;
    }

    /// <summary>Denies a request with a reason.</summary>
    /// <param name="id">The request.</param>
    /// <param name="decider">The deciding operator.</param>
    /// <param name="reason">Why; required.</param>
    /// <param name="now">The instant of the decision.</param>
    /// <param name="denied">The event to store.</param>
    /// <param name="error">Why it cannot be denied.</param>
    /// <returns>Whether it can be denied.</returns>
    public bool TryDeny(RequestId id, Actor decider, string reason, DateTimeOffset now, out ConsentEvent.Denied denied, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        denied = null!;
        if (!CanDecide(id, decider, now, out error))
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            error = new ConsentRefusal(ConsentRefusalCode.MissingText, "R8.6", "a denial must state its reason");
            return false;
        }

        if (ConsentRefusal.TooLong("the reason", reason, "R6.4") is { } tooLong)
        {
            error = tooLong;
            return false;
        }

        denied = new ConsentEvent.Denied(id, decider, reason.Trim(), now);
        return true;
    }

    /// <summary>Records a presented key that failed its commitment check. Only the owning participant's operator can present keys.</summary>
    /// <param name="id">The request.</param>
    /// <param name="presenter">Who presented the key.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="now">When.</param>
    /// <param name="refused">The event to store.</param>
    /// <param name="error">Why it is not a presentation for this request.</param>
    /// <returns>Whether the refusal is to be recorded.</returns>
    public bool TryRefuseKey(RequestId id, Actor presenter, EpochId epoch, DateTimeOffset now, out ConsentEvent.KeyRefused refused, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        refused = null!;
        if (!CanDecide(id, presenter, now, out error))
        {
            return false;
        }

        refused = new ConsentEvent.KeyRefused(id, presenter, epoch, now);
        return true;
    }

    /// <summary>Revokes a live grant early; only an operator of the grant's participant may.</summary>
    /// <param name="id">The grant.</param>
    /// <param name="revoker">The operator.</param>
    /// <param name="now">When.</param>
    /// <param name="revoked">The event to store.</param>
    /// <param name="error">Why it cannot be revoked.</param>
    /// <returns>Whether it can be revoked.</returns>
    public bool TryRevoke(GrantId id, Actor revoker, DateTimeOffset now, out ConsentEvent.Revoked revoked, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(revoker);
        revoked = null!;
        if (!_grants.TryGetValue(id, out var grant))
        {
            error = new ConsentRefusal(ConsentRefusalCode.UnknownGrant, "R8.6", $"no grant {id}");
            return false;
        }

        if (revoker.Kind != ActorKind.Operator || revoker.Participant != grant.Participant)
        {
            error = new ConsentRefusal(ConsentRefusalCode.NotPermitted, "R8.6", $"{revoker} cannot revoke a grant of {grant.Participant}");
            return false;
        }

        if (!grant.IsLive(now))
        {
            error = new ConsentRefusal(ConsentRefusalCode.GrantNotLive, "R8.6", $"grant {id} is no longer live");
            return false;
        }

        revoked = new ConsentEvent.Revoked(id, revoker, now);
        error = null;
        return true;
    }

    /// <summary>Whether a viewer may open a record under a grant now; yields the view to record (R8.6).</summary>
    /// <param name="id">The grant.</param>
    /// <param name="viewer">Who wants to view.</param>
    /// <param name="record">The record.</param>
    /// <param name="now">When.</param>
    /// <param name="viewed">The view to record before the content is shown.</param>
    /// <param name="error">Why not.</param>
    /// <returns>Whether viewing is allowed.</returns>
    public bool TryView(GrantId id, Actor viewer, DetectionRecord record, DateTimeOffset now, out ConsentEvent.Viewed viewed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(record);
        viewed = null!;
        error = null;
        if (!_grants.TryGetValue(id, out var grant))
        {
            error = new ConsentRefusal(ConsentRefusalCode.UnknownGrant, "R8.6", $"no grant {id}");
        }
        else if (!grant.IsLive(now))
        {
            error = new ConsentRefusal(ConsentRefusalCode.GrantNotLive, "R8.6", $"grant {id} is {(grant.RevokedAt is not null && now >= grant.RevokedAt ? "revoked" : "expired")}");
        }
        else if (viewer != grant.Grantee)
        {
            error = new ConsentRefusal(ConsentRefusalCode.NotPermitted, "R8.6", $"grant {id} is for {grant.Grantee}, not {viewer}");
        }
        else if (record.Participant != grant.Participant || !grant.Scope.Covers(record))
        {
            error = new ConsentRefusal(ConsentRefusalCode.OutsideGrant, "R8.6", $"record {record.Id} is outside grant {id}");
        }
        else if (!grant.Epochs.Contains(record.Epoch))
        {
            error = new ConsentRefusal(ConsentRefusalCode.OutsideGrant, "R8.6", $"the key of epoch {record.Epoch} was not presented for grant {id}");
        }

        if (error is not null)
        {
            return false;
        }

        viewed = new ConsentEvent.Viewed(id, viewer, record.Id, now);
        return true;
    }

    /// <summary>Opens a record without consent to handle a fault (R7.2 exception): staff only, with a reason and an incident reference.</summary>
    /// <param name="record">The record.</param>
    /// <param name="staff">The staff member.</param>
    /// <param name="reason">Why; required.</param>
    /// <param name="incident">The incident reference; required.</param>
    /// <param name="now">When.</param>
    /// <param name="access">The access to record; the participant is told of it.</param>
    /// <param name="error">Why not.</param>
    /// <returns>Whether the access is allowed.</returns>
    public static bool TryFaultAccess(DetectionRecord record, Actor staff, string reason, string incident, DateTimeOffset now, out ConsentEvent.FaultAccessed access, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(staff);
        access = null!;
        error = (staff.Kind != ActorKind.Staff ? new ConsentRefusal(ConsentRefusalCode.NotPermitted, "R7.2", $"{staff} is not staff: fault access is the organization's exception only")
            : string.IsNullOrWhiteSpace(reason) ? new ConsentRefusal(ConsentRefusalCode.MissingText, "R7.2", "a fault access must state its reason")
            : string.IsNullOrWhiteSpace(incident) ? new ConsentRefusal(ConsentRefusalCode.MissingText, "R7.2", "a fault access must name its incident")
            : ConsentRefusal.TooLong("the reason", reason, "R6.4") ?? ConsentRefusal.TooLong("the incident", incident, "R6.4"));
        if (error is not null)
        {
            return false;
        }

        access = new ConsentEvent.FaultAccessed(record.Id, record.Participant, staff, reason.Trim(), incident.Trim(), now);
        return true;
    }

    /// <summary>Folds one stored event into the ledger.</summary>
    /// <param name="e">The event.</param>
    /// <returns>The new ledger.</returns>
    /// <exception cref="InvalidOperationException">The event refers to a request or grant the ledger does not have.</exception>
    public ConsentLedger Apply(ConsentEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            ConsentEvent.Requested r => With(requests: _requests.Add(r.Request.Id, r.Request)),
            ConsentEvent.Approved a => With(
                decisions: _decisions.Add(a.Request, a),
                grants: _grants.Add(a.Grant, GrantFor(a))),
            ConsentEvent.Denied d => With(decisions: _decisions.Add(Known(d.Request), d)),
            ConsentEvent.KeyRefused k => With(refused: ((ImmutableList<ConsentEvent.KeyRefused>)RefusedKeys).Add(k)),
            ConsentEvent.Revoked v => With(grants: _grants.SetItem(v.Grant, KnownGrant(v.Grant) with { RevokedAt = v.When })),
            ConsentEvent.Viewed w => With(views: ((ImmutableList<ConsentEvent.Viewed>)Views).Add(w)),
            ConsentEvent.FaultAccessed f => With(faults: ((ImmutableList<ConsentEvent.FaultAccessed>)FaultAccesses).Add(f)),
            _ => throw new InvalidOperationException($"Unknown consent event {e.GetType().Name}."),
        };
    }

    /// <summary>Folds a sequence of stored events.</summary>
    /// <param name="events">The events, in order.</param>
    /// <returns>The ledger.</returns>
    public static ConsentLedger Fold(IEnumerable<ConsentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Aggregate(Empty, (ledger, e) => ledger.Apply(e));
    }

    private bool CanDecide(RequestId id, Actor decider, DateTimeOffset now, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConsentRefusal? error)
    {
        ArgumentNullException.ThrowIfNull(decider);
        if (!_requests.TryGetValue(id, out var request))
        {
            error = new ConsentRefusal(ConsentRefusalCode.UnknownRequest, "R8.6", $"no request {id}");
            return false;
        }

        if (decider.Kind != ActorKind.Operator || decider.Participant != request.Participant)
        {
            error = new ConsentRefusal(ConsentRefusalCode.NotPermitted, "R8.6", $"{decider} cannot decide a request for {request.Participant}: only its own operators can (R8.6)");
            return false;
        }

        var status = StatusOf(id, now);
        if (status != RequestStatus.Pending)
        {
            error = new ConsentRefusal(ConsentRefusalCode.NotPending, "R8.6", $"request {id} is {status.ToString().ToLowerInvariant()} and cannot be decided");
            return false;
        }

        error = null;
        return true;
    }

    private Grant GrantFor(ConsentEvent.Approved a)
    {
        var request = _requests[Known(a.Request)];
        return new Grant(a.Grant, a.Request, request.Participant, request.Requester, request.Scope, request.Purpose, a.Epochs.ToHashSet(), a.GrantExpiresAt, null);
    }

    private RequestId Known(RequestId id) =>
        _requests.ContainsKey(id) ? id : throw new InvalidOperationException($"The event refers to unknown request {id}.");

    private Grant KnownGrant(GrantId id) =>
        _grants.TryGetValue(id, out var grant) ? grant : throw new InvalidOperationException($"The event refers to unknown grant {id}.");

    private ConsentLedger With(
        ImmutableDictionary<RequestId, DecryptionRequest>? requests = null,
        ImmutableDictionary<RequestId, ConsentEvent>? decisions = null,
        ImmutableDictionary<GrantId, Grant>? grants = null,
        ImmutableList<ConsentEvent.Viewed>? views = null,
        ImmutableList<ConsentEvent.FaultAccessed>? faults = null,
        ImmutableList<ConsentEvent.KeyRefused>? refused = null) =>
        new(
            requests ?? _requests,
            decisions ?? _decisions,
            grants ?? _grants,
            views ?? (ImmutableList<ConsentEvent.Viewed>)Views,
            faults ?? (ImmutableList<ConsentEvent.FaultAccessed>)FaultAccesses,
            refused ?? (ImmutableList<ConsentEvent.KeyRefused>)RefusedKeys);
}
