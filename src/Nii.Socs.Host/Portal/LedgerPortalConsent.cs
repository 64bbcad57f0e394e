using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Portal;

/// <summary>
/// The portal's consent steps over <see cref="ConsentLedger"/>, held in memory: presented keys are checked against the
/// stored commitments, kept only while their grant lives, and every step is written to the history (R6.4, R8.5, R8.6).
/// </summary>
/// <remarks>
/// The ledger is not persisted here: after a restart, requests and grants start empty (the history still has every
/// step). The consent service with its own event store replaces this class behind <see cref="IPortalConsent"/>.
/// <para><b>Security:</b> a presented key is turned into an <see cref="EpochKey"/> only after it matched its commitment;
/// the keys of a grant are destroyed when it is revoked or found expired. Plaintext is returned only after its view
/// (or fault access) is durable in the history.</para>
/// <para>Edge case: a view under an expired grant is refused and destroys the grant's keys on the spot.</para>
/// </remarks>
internal sealed class LedgerPortalConsent : IPortalConsent, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<GrantId, Dictionary<EpochId, EpochKey>> _keys = [];
    private readonly DetectionStore _detections;
    private readonly IKeyStore _keyStore;
    private readonly IOperationHistory _history;
    private readonly TimeProvider _time;
    private readonly Func<EpochId, EpochKey?> _liveKey;
    private ConsentLedger _ledger = ConsentLedger.Empty;

    /// <summary>Creates the service.</summary>
    /// <param name="detections">Where the records are.</param>
    /// <param name="keyStore">Where the commitments are (beside the wrapped keys).</param>
    /// <param name="history">Where every step is recorded.</param>
    /// <param name="time">The clock.</param>
    /// <param name="liveKey">The key of an epoch that still exists (the current one) for fault access, or null.</param>
    public LedgerPortalConsent(DetectionStore detections, IKeyStore keyStore, IOperationHistory history, TimeProvider time, Func<EpochId, EpochKey?>? liveKey = null)
    {
        _detections = detections;
        _keyStore = keyStore;
        _history = history;
        _time = time;
        _liveKey = liveKey ?? (_ => null);
    }

    /// <inheritdoc />
    public ConsentLedger Ledger
    {
        get
        {
            lock (_gate)
            {
                return _ledger;
            }
        }
    }

    /// <inheritdoc />
    public async Task<string?> RequestAsync(DecryptionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConsentEvent.Requested requested;
        lock (_gate)
        {
            if (!_ledger.TryRequest(request, _time.GetUtcNow(), out requested, out var error))
            {
                return error;
            }

            _ledger = _ledger.Apply(requested);
        }

        var r = requested.Request;
        await _history.AppendAsync(r.Requester.ToString(), "consent.request.filed", $"consent/{r.Participant}/{r.Id}", Invariant($"scope {r.Scope}; purpose {r.Purpose}: {r.PurposeText}; deadline {r.Deadline:O}"), cancellationToken);
        return null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EpochId>> RequiredEpochsAsync(RequestId request, CancellationToken cancellationToken)
    {
        if (!Ledger.TryGetRequest(request, out var r))
        {
            return [];
        }

        var epochs = new SortedSet<long>();
        switch (r.Scope)
        {
            case ConsentScope.RecordList list:
                foreach (var id in list.Ids)
                {
                    if (await _detections.FindAsync(r.Participant, id, cancellationToken) is { } record)
                    {
                        epochs.Add(record.Epoch.Index);
                    }
                }

                break;
            case ConsentScope.TimeRange range:
                DetectionCursor? cursor = null;
                do
                {
                    var page = await _detections.QueryAsync(new DetectionQuery { Participant = r.Participant, From = range.From, To = range.To, RuleSid = range.Sid, Address = range.Address, Cursor = cursor, Limit = 1000 }, cancellationToken);
                    foreach (var record in page.Records)
                    {
                        epochs.Add(record.Epoch.Index);
                    }

                    cursor = page.Next;
                }
                while (cursor is not null);
                break;
        }

        return [.. epochs.Select(i => new EpochId(r.Participant, i))];
    }

    /// <inheritdoc />
    public async Task<ConsentOutcome<GrantId>> ApproveAsync(RequestId request, Actor decider, IReadOnlyDictionary<EpochId, byte[]> keys, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decider);
        ArgumentNullException.ThrowIfNull(keys);
        var required = await RequiredEpochsAsync(request, cancellationToken);
        var verified = new Dictionary<EpochId, EpochKey>();
        var refused = new List<EpochId>();
        foreach (var epoch in required)
        {
            if (keys.TryGetValue(epoch, out var bytes) && _keyStore.TryLoadWrappedSet(epoch, out var set) && set.Commitment.Matches(bytes))
            {
                verified[epoch] = EpochKey.FromBytes(epoch, bytes);
            }
            else if (keys.ContainsKey(epoch))
            {
                refused.Add(epoch);
            }
        }

        var grant = new GrantId(Guid.CreateVersion7(_time.GetUtcNow()));
        ConsentEvent.Approved approved;
        string error;
        var refusedEvents = new List<ConsentEvent.KeyRefused>();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var epoch in refused)
            {
                if (_ledger.TryRefuseKey(request, decider, epoch, now, out var k, out _))
                {
                    _ledger = _ledger.Apply(k);
                    refusedEvents.Add(k);
                }
            }

            if (_ledger.TryApprove(request, decider, required.ToList(), verified.Keys.ToList(), grant, grantExpiresAt, now, out approved, out error))
            {
                _ledger = _ledger.Apply(approved);
                _keys[grant] = verified;
            }
        }

        foreach (var k in refusedEvents)
        {
            await _history.AppendAsync(decider.ToString(), "consent.key.refused", $"consent/{decider.Participant}/{request}", $"the key presented for epoch {k.Epoch} does not match its commitment", cancellationToken);
        }

        if (approved is null)
        {
            Destroy(verified.Values);
            return ConsentOutcome<GrantId>.Refused(error);
        }

        await _history.AppendAsync(decider.ToString(), "consent.request.approved", $"consent/{decider.Participant}/{request}", Invariant($"grant {grant}; epochs {string.Join(", ", approved.Epochs)}; expires {grantExpiresAt:O}"), cancellationToken);
        return ConsentOutcome<GrantId>.Ok(grant);
    }

    /// <inheritdoc />
    public async Task<string?> DenyAsync(RequestId request, Actor decider, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decider);
        lock (_gate)
        {
            if (!_ledger.TryDeny(request, decider, reason, _time.GetUtcNow(), out var denied, out var error))
            {
                return error;
            }

            _ledger = _ledger.Apply(denied);
        }

        await _history.AppendAsync(decider.ToString(), "consent.request.denied", $"consent/{decider.Participant}/{request}", reason.Trim(), cancellationToken);
        return null;
    }

    /// <inheritdoc />
    public async Task<string?> RevokeAsync(GrantId grant, Actor revoker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revoker);
        Dictionary<EpochId, EpochKey>? keys;
        lock (_gate)
        {
            if (!_ledger.TryRevoke(grant, revoker, _time.GetUtcNow(), out var revoked, out var error))
            {
                return error;
            }

            _ledger = _ledger.Apply(revoked);
            _keys.Remove(grant, out keys);
        }

        Destroy(keys?.Values);
        await _history.AppendAsync(revoker.ToString(), "consent.grant.revoked", $"consent/{revoker.Participant}/{grant}", "the grant's keys are destroyed", cancellationToken);
        return null;
    }

    /// <inheritdoc />
    public async Task<ConsentOutcome<byte[]>> ViewAsync(GrantId grant, Actor viewer, DetectionId record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var ledger = Ledger;
        if (!ledger.TryGetGrant(grant, out var g))
        {
            return ConsentOutcome<byte[]>.Refused($"no grant {grant}");
        }

        var found = await _detections.FindAsync(g.Participant, record, cancellationToken);
        if (found is null)
        {
            return ConsentOutcome<byte[]>.Refused($"no record {record} of {g.Participant}");
        }

        ConsentEvent.Viewed viewed;
        EpochKey? key = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (!_ledger.TryView(grant, viewer, found, now, out viewed, out var error))
            {
                if (_ledger.TryGetGrant(grant, out var current) && !current.IsLive(now) && _keys.Remove(grant, out var stale))
                {
                    Destroy(stale.Values);
                }

                return ConsentOutcome<byte[]>.Refused(error);
            }

            if (_keys.TryGetValue(grant, out var held))
            {
                held.TryGetValue(found.Epoch, out key);
            }

            if (key is null)
            {
                return ConsentOutcome<byte[]>.Refused($"the key of epoch {found.Epoch} is no longer held for grant {grant}");
            }

            _ledger = _ledger.Apply(viewed);
        }

        var plaintext = Open(key, found, out var failure);
        if (plaintext is null)
        {
            return ConsentOutcome<byte[]>.Refused($"record {record} does not open: {failure}");
        }

        await _history.AppendAsync(viewer.ToString(), "consent.record.viewed", $"consent/{g.Participant}/{grant}", $"record {record}", cancellationToken);
        return ConsentOutcome<byte[]>.Ok(plaintext);
    }

    /// <inheritdoc />
    public async Task<ConsentOutcome<byte[]>> FaultAccessAsync(ParticipantId participant, DetectionId record, Actor staff, string reason, string incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staff);
        var found = await _detections.FindAsync(participant, record, cancellationToken);
        if (found is null)
        {
            return ConsentOutcome<byte[]>.Refused($"no record {record} of {participant}");
        }

        if (!ConsentLedger.TryFaultAccess(found, staff, reason, incident, _time.GetUtcNow(), out var access, out var error))
        {
            return ConsentOutcome<byte[]>.Refused(error);
        }

        var key = _liveKey(found.Epoch);
        if (key is null)
        {
            return ConsentOutcome<byte[]>.Refused($"the key of epoch {found.Epoch} no longer exists (R8.4): only the participant can present it");
        }

        var plaintext = Open(key, found, out var failure);
        if (plaintext is null)
        {
            return ConsentOutcome<byte[]>.Refused($"record {record} does not open: {failure}");
        }

        lock (_gate)
        {
            _ledger = _ledger.Apply(access);
        }

        // Recorded before the content leaves, with the reason the participant is told (R7.2).
        await _history.AppendAsync(staff.ToString(), "consent.fault.accessed", $"consent/{participant}/{record}", $"incident {access.Incident}: {access.Reason}", cancellationToken);
        return ConsentOutcome<byte[]>.Ok(plaintext);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var keys in _keys.Values)
            {
                Destroy(keys.Values);
            }

            _keys.Clear();
        }
    }

    private static byte[]? Open(EpochKey key, DetectionRecord record, out OpenFailure failure)
    {
        var sealedContent = record.SealedContent.Span;
        var length = ContentSealer.PlaintextLength(sealedContent);
        if (length < 0)
        {
            failure = OpenFailure.Malformed;
            return null;
        }

        var plaintext = new byte[length];
        return ContentSealer.TryOpen(key, SealingContext.For(record), sealedContent, plaintext, out var written, out failure)
            ? plaintext[..written]
            : null;
    }

    private static void Destroy(IEnumerable<EpochKey>? keys)
    {
        foreach (var key in keys ?? [])
        {
            key.Dispose();
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
