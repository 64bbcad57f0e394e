using System.Globalization;
using System.Security.Cryptography;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage.Keys;

namespace Nii.Socs.Core.Storage.Consent;

/// <summary>The only way to turn sealed content into plaintext: under a live viewing grant, or a recorded fault access (R7.2, R8.5, R8.6).</summary>
/// <remarks>
/// Every step is decided by <see cref="ConsentLedger"/>, written to the operation history (R6.4), then
/// appended to the consent log, all before its effect: a view is recorded before the plaintext is
/// returned, which is what the participant consented to (R8.6). One order for every action (history
/// entry, then consent event) means a failure between the two appends leaves a history entry without its
/// consent event, which <see cref="OperationHistoryStore.CrossCheckConsent"/> (<c>socs audit verify</c>) and the
/// yearly inspection name; never a consent event nobody recorded. Free texts and record lists are bounded by
/// <see cref="ConsentLimits"/> before anything is written.
/// <para>Presented keys are checked against the stored key commitment of their epoch; a wrong key
/// is refused and the refusal recorded. They are held only while the grant lives
/// (<see cref="GrantKeyCustody"/>) and zeroised at expiry or revocation.</para>
/// <para>The fault exception (R7.2) reaches only the current epoch's key, because that is the only
/// key the organization still has (R8.4): for older epochs it is refused.</para>
/// <para><b>Security:</b> <see cref="ContentSealer"/>'s opening is internal to this library; no public
/// API opens a record without going through this service.</para>
/// </remarks>
public sealed class ConsentService : IDisposable
{
    private const string GrantsDirectory = "grants";

    private readonly IConsentLog _store;
    private readonly IDetectionStore _detections;
    private readonly IKeyStore _keys;
    private readonly IKeyEncryptionKey _kek;
    private readonly IOperationHistory _history;
    private readonly TimeProvider _time;
    private readonly GrantKeyCustody _custody;
    private readonly EpochSchedule _schedule;
    private readonly string _grantsRoot;
    private readonly Dictionary<GrantId, Dictionary<EpochId, EpochKey>> _held = [];
    private readonly Lock _gate = new();

    /// <summary>Creates the service over the stores of one data directory.</summary>
    /// <param name="dataDirectory">The data directory (for sealed grant keys).</param>
    /// <param name="store">The consent log (FASTER <see cref="ConsentStore"/> or the cluster's).</param>
    /// <param name="detections">The detection store (FASTER <see cref="DetectionStore"/> or the cluster's).</param>
    /// <param name="keys">The key store (wrapped sets with commitments; the current sealed key).</param>
    /// <param name="kek">The host key-encryption key.</param>
    /// <param name="history">The operation history.</param>
    /// <param name="time">The clock.</param>
    /// <param name="custody">Where presented keys live while a grant lives.</param>
    /// <param name="schedule">The epoch schedule (R8.3) that decides which epoch is current for the fault exception;
    /// default weekly from Monday JST.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    internal ConsentService(string dataDirectory, IConsentLog store, IDetectionStore detections, IKeyStore keys, IKeyEncryptionKey kek, IOperationHistory history, TimeProvider time, GrantKeyCustody custody = GrantKeyCustody.Memory, EpochSchedule? schedule = null)
    {
        _schedule = schedule ?? EpochSchedule.WeeklyFromMondayJst;
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _detections = detections ?? throw new ArgumentNullException(nameof(detections));
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _kek = kek ?? throw new ArgumentNullException(nameof(kek));
        _history = history ?? throw new ArgumentNullException(nameof(history));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _custody = custody;
        _grantsRoot = Path.Combine(Path.GetFullPath(dataDirectory), ConsentStore.DirectoryName, GrantsDirectory);
    }

    /// <summary>The current ledger.</summary>
    internal ConsentLedger Ledger => _store.Ledger;

    /// <summary>Files a decryption request (R8.5).</summary>
    /// <param name="requester">Who asks.</param>
    /// <param name="participant">Whose records.</param>
    /// <param name="scope">Which records.</param>
    /// <param name="purpose">Why.</param>
    /// <param name="purposeText">The purpose in words.</param>
    /// <param name="deadline">When the request expires undecided.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The request, or why it was refused.</returns>
    public async Task<ConsentResult<DecryptionRequest>> RequestAsync(Actor requester, ParticipantId participant, ConsentScope scope, Purpose purpose, string purposeText, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var request = new DecryptionRequest(new RequestId(Guid.CreateVersion7(now)), requester, participant, scope, purpose, purposeText, now, deadline);
        if (!Ledger.TryRequest(request, now, out var e, out var error))
        {
            return ConsentResult<DecryptionRequest>.Refused(error);
        }

        await _history.AppendAsync(requester.ToString(), "consent.request.filed", $"consent/{request.Id}", $"participant={participant} purpose={purpose} scope={scope} deadline={Iso(deadline)} text={purposeText}", cancellationToken).ConfigureAwait(false);
        await _store.AppendAsync(e, cancellationToken).ConfigureAwait(false);
        return ConsentResult<DecryptionRequest>.Ok(e.Request);
    }

    /// <summary>The epochs whose keys approval needs: those of every stored record in the request's scope.</summary>
    /// <param name="id">The request.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The epochs, ascending; empty when no record is in scope.</returns>
    /// <exception cref="KeyNotFoundException">No such request.</exception>
    public async Task<IReadOnlyList<EpochId>> RequiredEpochsAsync(RequestId id, CancellationToken cancellationToken = default)
    {
        if (!Ledger.TryGetRequest(id, out var request))
        {
            throw new KeyNotFoundException($"No request {id}.");
        }

        var epochs = new SortedSet<long>();
        await foreach (var record in RecordsInScopeAsync(request, cancellationToken).ConfigureAwait(false))
        {
            epochs.Add(record.Epoch.Index);
        }

        return [.. epochs.Select(i => new EpochId(request.Participant, i))];
    }

    /// <summary>Approves a request by presenting the keys of the epochs it needs (R8.6).</summary>
    /// <param name="id">The request.</param>
    /// <param name="decider">The participant's operator.</param>
    /// <param name="presentedKeys">The unwrapped epoch keys (each knows its epoch), for instance from
    /// <see cref="ParticipantPrivateKey.TryUnwrap(WrappedKeySet, out EpochKey?, out UnwrapFailure)"/>. They stay the
    /// caller's: the service keeps its own copies while the grant lives and zeroises them at its end.</param>
    /// <param name="grantExpiresAt">When the grant ends.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The grant, or why it was refused (a wrong key is also recorded).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">A presented key has been destroyed.</exception>
    public Task<ConsentResult<Grant>> ApproveAsync(RequestId id, Actor decider, IReadOnlyCollection<EpochKey> presentedKeys, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decider);
        ArgumentNullException.ThrowIfNull(presentedKeys);
        var owned = new List<(EpochId Epoch, EpochKey? Key)>(presentedKeys.Count);
        try
        {
            foreach (var key in presentedKeys)
            {
                ArgumentNullException.ThrowIfNull(key, nameof(presentedKeys));
                owned.Add((key.Epoch, key.Clone()));
            }
        }
        catch
        {
            DisposeAll(owned);
            throw;
        }

        return ApproveOwnedAsync(id, decider, owned, grantExpiresAt, cancellationToken);
    }

    /// <summary>Approves with keys given as bytes by epoch (the portal's and CLI's form); a key of the wrong length is refused
    /// and recorded like a key that fails its commitment.</summary>
    internal Task<ConsentResult<Grant>> ApproveAsync(RequestId id, Actor decider, IReadOnlyDictionary<EpochId, byte[]> presentedKeys, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decider);
        ArgumentNullException.ThrowIfNull(presentedKeys);
        var owned = presentedKeys.Select(kv => (kv.Key, kv.Value is { Length: EpochKey.Size } bytes ? EpochKey.FromBytes(kv.Key, bytes) : null)).ToList();
        return ApproveOwnedAsync(id, decider, owned, grantExpiresAt, cancellationToken);
    }

    private static void DisposeAll(List<(EpochId Epoch, EpochKey? Key)> keys)
    {
        foreach (var (_, key) in keys)
        {
            key?.Dispose();
        }
    }

    private async Task<ConsentResult<Grant>> ApproveOwnedAsync(RequestId id, Actor decider, List<(EpochId Epoch, EpochKey? Key)> presented, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken)
    {
        var verified = new Dictionary<EpochId, EpochKey>();
        try
        {
            if (!Ledger.TryGetRequest(id, out _))
            {
                return ConsentResult<Grant>.Refused(ConsentRefusalCode.UnknownRequest, "R8.6", $"no request {id}");
            }

            var now = _time.GetUtcNow();
            foreach (var (epoch, key) in presented)
            {
                if (key is null || !_keys.TryLoadWrappedSet(epoch, out var set) || !set.Commitment.Matches(key))
                {
                    if (Ledger.TryRefuseKey(id, decider, epoch, now, out var refused, out _))
                    {
                        await _history.AppendAsync(decider.ToString(), "consent.key.refused", $"consent/{id}", $"epoch={epoch}", cancellationToken).ConfigureAwait(false);
                        await _store.AppendAsync(refused, cancellationToken).ConfigureAwait(false);
                    }

                    return ConsentResult<Grant>.Refused(ConsentRefusalCode.KeyMismatch, "R8.6", $"the key presented for epoch {epoch} does not match its commitment");
                }

                if (!verified.TryAdd(epoch, key))
                {
                    key.Dispose();
                }
            }

            presented.Clear();
            var required = await RequiredEpochsAsync(id, cancellationToken).ConfigureAwait(false);
            var grantId = new GrantId(Guid.CreateVersion7(now));
            if (!Ledger.TryApprove(id, decider, required, [.. verified.Keys], grantId, grantExpiresAt, now, out var approved, out var error))
            {
                return ConsentResult<Grant>.Refused(error);
            }

            await _history.AppendAsync(decider.ToString(), "consent.approved", $"consent/{id}", $"grant={grantId} epochs={string.Join(",", required)} expires={Iso(grantExpiresAt)}", cancellationToken).ConfigureAwait(false);
            await _store.AppendAsync(approved, cancellationToken).ConfigureAwait(false);
            Hold(grantId, verified.Where(kv => required.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
            foreach (var unused in verified.Where(kv => !required.Contains(kv.Key)))
            {
                unused.Value.Dispose();
            }

            verified.Clear();
            return ConsentResult<Grant>.Ok(Ledger.GrantOf(id)!);
        }
        finally
        {
            DisposeAll(presented);
            foreach (var key in verified.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>Denies a request with a reason.</summary>
    /// <param name="id">The request.</param>
    /// <param name="decider">The participant's operator.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The reason as recorded, or why the denial was refused.</returns>
    public async Task<ConsentResult<string>> DenyAsync(RequestId id, Actor decider, string reason, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (!Ledger.TryDeny(id, decider, reason, now, out var denied, out var error))
        {
            return ConsentResult<string>.Refused(error);
        }

        await _history.AppendAsync(decider.ToString(), "consent.denied", $"consent/{id}", $"reason={denied.Reason}", cancellationToken).ConfigureAwait(false);
        await _store.AppendAsync(denied, cancellationToken).ConfigureAwait(false);
        return ConsentResult<string>.Ok(denied.Reason);
    }

    /// <summary>Revokes a grant early; its keys are zeroised at once.</summary>
    /// <param name="id">The grant.</param>
    /// <param name="revoker">The participant's operator.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The revoked grant, or why not.</returns>
    public async Task<ConsentResult<Grant>> RevokeAsync(GrantId id, Actor revoker, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (!Ledger.TryRevoke(id, revoker, now, out var revoked, out var error))
        {
            return ConsentResult<Grant>.Refused(error);
        }

        await _history.AppendAsync(revoker.ToString(), "consent.grant.revoked", $"grant/{id}", string.Empty, cancellationToken).ConfigureAwait(false);
        await _store.AppendAsync(revoked, cancellationToken).ConfigureAwait(false);
        Release(id);
        Ledger.TryGetGrant(id, out var grant);
        return ConsentResult<Grant>.Ok(grant);
    }

    /// <summary>Opens one record under a grant: the view is recorded first, then the plaintext returned (R8.6).</summary>
    /// <param name="id">The grant.</param>
    /// <param name="viewer">Who views: the grantee.</param>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The plaintext content, or why not.</returns>
    public async Task<ConsentResult<byte[]>> ViewAsync(GrantId id, Actor viewer, DetectionId record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ReleaseEnded();
        if (!Ledger.TryGetGrant(id, out var grant))
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.UnknownGrant, "R8.6", $"no grant {id}");
        }

        var stored = await _detections.FindAsync(grant.Participant, record, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.RecordNotStored, "R7.3", $"record {record} is not stored for {grant.Participant} (never, or deleted by retention)");
        }

        var now = _time.GetUtcNow();
        if (!Ledger.TryView(id, viewer, stored, now, out var viewed, out var error))
        {
            return ConsentResult<byte[]>.Refused(error);
        }

        using var key = TakeHeldKey(id, stored.Epoch);
        if (key is null)
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.KeyNotHeld, "R8.6", $"the key of epoch {stored.Epoch} for grant {id} is no longer held");
        }

        await _history.AppendAsync(viewer.ToString(), "consent.viewed", $"detections/{grant.Participant}/{record}", $"grant={id}", cancellationToken).ConfigureAwait(false);
        await _store.AppendAsync(viewed, cancellationToken).ConfigureAwait(false);
        return Open(key, stored);
    }

    /// <summary>Opens one record without consent to handle a fault of the service (R7.2 exception), recorded and told to the participant.</summary>
    /// <param name="record">The record.</param>
    /// <param name="staff">The staff member.</param>
    /// <param name="reason">Why; required.</param>
    /// <param name="incident">The incident reference; required.</param>
    /// <param name="cancellationToken">Cancels waiting for commits.</param>
    /// <returns>The plaintext, or why not (e.g. the epoch's key is destroyed).</returns>
    public async Task<ConsentResult<byte[]>> FaultAccessAsync(DetectionId record, Actor staff, string reason, string incident, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(staff);
        DetectionRecord? stored = null;
        foreach (var participant in _detections.Partitions().Select(p => p.Participant).Distinct())
        {
            stored = await _detections.FindAsync(participant, record, cancellationToken).ConfigureAwait(false);
            if (stored is not null)
            {
                break;
            }
        }

        if (stored is null)
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.RecordNotStored, "R7.3", $"record {record} is not stored");
        }

        var now = _time.GetUtcNow();
        if (!ConsentLedger.TryFaultAccess(stored, staff, reason, incident, now, out var access, out var error))
        {
            return ConsentResult<byte[]>.Refused(error);
        }

        // Only the epoch current by the schedule at this moment: a sealed key file of an ended epoch that a
        // host left on disk (it was down at the epoch's end) is not the organization's to use (R8.4).
        var current = _schedule.EpochOf(stored.Participant, now);
        if (stored.Epoch != current)
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.KeyDestroyed, "R8.4", $"epoch {stored.Epoch} has ended (the current one is {current.Index}); its key is destroyed at its end (R8.4): only the participant can open this record now");
        }

        using var key = CurrentKey(stored.Epoch);
        if (key is null)
        {
            return ConsentResult<byte[]>.Refused(ConsentRefusalCode.KeyDestroyed, "R8.4", $"the key of epoch {stored.Epoch} was destroyed at rotation (R8.4): only the participant can open this record now");
        }

        await _history.AppendAsync(staff.ToString(), "consent.fault-access", $"detections/{stored.Participant}/{record}", $"incident={access.Incident} reason={access.Reason}", cancellationToken).ConfigureAwait(false);
        await _store.AppendAsync(access, cancellationToken).ConfigureAwait(false);
        await _history.AppendAsync("system:consent", "consent.fault-access.notice", $"participant/{stored.Participant}", $"record={record} incident={access.Incident} staff={staff.Name} reason={access.Reason}", cancellationToken).ConfigureAwait(false);
        return Open(key, stored);
    }

    /// <summary>The earliest end of a live grant whose presented keys are held: when <see cref="ReleaseEnded"/> is next due.</summary>
    /// <remarks>R8.6: a timer in the running service calls <see cref="ReleaseEnded"/> at this instant.</remarks>
    public DateTimeOffset? NextGrantEnd
    {
        get
        {
            var now = _time.GetUtcNow();
            DateTimeOffset? next = null;
            foreach (var grant in Ledger.Grants.Where(g => g.IsLive(now)))
            {
                var end = grant.ExpiresAt;
                if (next is null || end < next)
                {
                    next = end;
                }
            }

            return next;
        }
    }

    /// <summary>Zeroises and forgets the keys of every grant that has expired or been revoked.</summary>
    /// <returns>How many grants' keys were released.</returns>
    public int ReleaseEnded()
    {
        var now = _time.GetUtcNow();
        var ended = Ledger.Grants.Where(g => !g.IsLive(now)).Select(g => g.Id).ToList();
        var released = 0;
        foreach (var id in ended)
        {
            released += Release(id) ? 1 : 0;
        }

        return released;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var keys in _held.Values)
            {
                foreach (var key in keys.Values)
                {
                    key.Dispose();
                }
            }

            _held.Clear();
        }
    }

    private static ConsentResult<byte[]> Open(EpochKey key, DetectionRecord record)
    {
        if (record.SealedContent.IsEmpty)
        {
            return ConsentResult<byte[]>.Ok([]);
        }

        return ContentSealer.TryOpen(key, SealingContext.For(record), record.SealedContent.Span, out var plaintext, out var failure)
            ? ConsentResult<byte[]>.Ok(plaintext)
            : ConsentResult<byte[]>.Refused(ConsentRefusalCode.NotAuthentic, "R7.1", $"record {record.Id} does not open: {failure}");
    }

    private async IAsyncEnumerable<DetectionRecord> RecordsInScopeAsync(DecryptionRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        switch (request.Scope)
        {
            case ConsentScope.RecordList list:
                foreach (var id in list.Ids)
                {
                    var record = await _detections.FindAsync(request.Participant, id, cancellationToken).ConfigureAwait(false);
                    if (record is not null)
                    {
                        yield return record;
                    }
                }

                break;
            case ConsentScope.TimeRange range:
                DetectionCursor? cursor = null;
                do
                {
                    var page = await _detections.QueryAsync(
                        new DetectionQuery { Participant = request.Participant, From = range.From, To = range.To, RuleSid = range.Sid, Address = range.Address, Limit = DetectionQuery.MaxLimit, Cursor = cursor },
                        cancellationToken).ConfigureAwait(false);
                    foreach (var record in page.Records)
                    {
                        yield return record;
                    }

                    cursor = page.Next;
                }
                while (cursor is not null);
                break;
            default:
                throw new InvalidOperationException($"Unknown scope {request.Scope.GetType().Name}.");
        }
    }

    private void Hold(GrantId id, Dictionary<EpochId, EpochKey> keys)
    {
        if (_custody == GrantKeyCustody.SealedUntilGrantEnds)
        {
            foreach (var (epoch, key) in keys)
            {
                var bytes = new byte[EpochKey.Size];
                try
                {
                    key.CopyTo(bytes);
                    SafeFile.WriteAtomically(GrantKeyPath(id, epoch), _kek.Seal(bytes, GrantAad(id, epoch)));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(bytes);
                }
            }
        }

        lock (_gate)
        {
            _held[id] = keys;
        }
    }

    /// <summary>Whether viewing under a grant can work now: the grant is live and the key of each of its epochs is held.</summary>
    /// <param name="id">The grant.</param>
    /// <returns>False for an unknown, ended or revoked grant, or one whose keys were released (e.g. by a restart with
    /// <see cref="GrantKeyCustody.Memory"/>).</returns>
    public bool HoldsKeys(GrantId id)
    {
        if (!Ledger.TryGetGrant(id, out var grant) || !grant.IsLive(_time.GetUtcNow()))
        {
            return false;
        }

        lock (_gate)
        {
            if (_held.TryGetValue(id, out var keys) && grant.Epochs.All(keys.ContainsKey))
            {
                return true;
            }
        }

        return _custody == GrantKeyCustody.SealedUntilGrantEnds && grant.Epochs.All(e => File.Exists(GrantKeyPath(id, e)));
    }

    private EpochKey? TakeHeldKey(GrantId id, EpochId epoch)
    {
        lock (_gate)
        {
            if (_held.TryGetValue(id, out var keys) && keys.TryGetValue(epoch, out var key))
            {
                var copy = new byte[EpochKey.Size];
                try
                {
                    key.CopyTo(copy);
                    return EpochKey.FromBytes(epoch, copy);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(copy);
                }
            }
        }

        if (_custody != GrantKeyCustody.SealedUntilGrantEnds || !File.Exists(GrantKeyPath(id, epoch)))
        {
            return null;
        }

        var buffer = new byte[EpochKey.Size];
        try
        {
            return _kek.TryOpen(File.ReadAllBytes(GrantKeyPath(id, epoch)), GrantAad(id, epoch), buffer, out var written) && written == EpochKey.Size
                ? EpochKey.FromBytes(epoch, buffer)
                : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private bool Release(GrantId id)
    {
        var released = false;
        lock (_gate)
        {
            if (_held.Remove(id, out var keys))
            {
                foreach (var key in keys.Values)
                {
                    key.Dispose();
                }

                released = true;
            }
        }

        var directory = Path.Combine(_grantsRoot, id.ToString());
        if (Directory.Exists(directory))
        {
            foreach (var file in Directory.GetFiles(directory))
            {
                SafeFile.Destroy(file);
            }

            Directory.Delete(directory, recursive: true);
            released = true;
        }

        return released;
    }

    private EpochKey? CurrentKey(EpochId epoch)
    {
        if (!_keys.TryLoadSealedKey(epoch, out var sealedKey))
        {
            return null;
        }

        var buffer = new byte[EpochKey.Size];
        try
        {
            return _kek.TryOpen(sealedKey, KeyWrapper.AadOf(epoch), buffer, out var written) && written == EpochKey.Size
                ? EpochKey.FromBytes(epoch, buffer)
                : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private string GrantKeyPath(GrantId id, EpochId epoch) =>
        Path.Combine(_grantsRoot, id.ToString(), epoch.Index.ToString(CultureInfo.InvariantCulture) + ".sealed");

    private static byte[] GrantAad(GrantId id, EpochId epoch) =>
        System.Text.Encoding.UTF8.GetBytes($"nii-socs grant key v1|{id}|{epoch}");

    private static string Iso(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
}
