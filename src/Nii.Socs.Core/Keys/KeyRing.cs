using System.Security.Cryptography;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>Keeps each participant's current epoch key and rotates it at epoch start (R8.1–R8.4).</summary>
/// <remarks>
/// <para>At the first use in a new epoch the ring makes a key (R7.1), wraps it to every active
/// certificate and stores the wrapped set with the commitment (R8.1), stores the key sealed under
/// the host KEK so it survives a restart, and destroys the previous key (R8.4): the object is
/// zeroised and its sealed copy is overwritten and deleted. Afterwards only the wrapped forms remain.</para>
/// <para>The clock is read once per decision (<see cref="TimeProvider.GetUtcNow"/>).</para>
/// <para><b>Security:</b> a key returned by <see cref="Current"/> is owned by the ring: do not
/// dispose it, and do not keep it past the next call, which may destroy it.</para>
/// <para>Edge case: a host that was down across an epoch boundary finds the old sealed key at start;
/// it is destroyed, not used, and a fresh key is made for the current epoch.</para>
/// <para>Edge case: a participant with no active certificate gets no key (<see cref="KeyRotation.NoCertificate"/>);
/// its previous key is destroyed on schedule all the same. A clock that steps back keeps the later epoch current
/// (<see cref="KeyRotation.ClockBehind"/>): no key is ever destroyed because the clock went backwards.</para>
/// </remarks>
internal sealed class KeyRing : IDisposable
{
    private readonly EpochSchedule _schedule;
    private readonly IKeyStore _store;
    private readonly IKeyEncryptionKey _kek;
    private readonly IActiveCertificates _certificates;
    private readonly TimeProvider _time;
    private readonly Dictionary<ParticipantId, EpochKey> _current = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Creates a ring.</summary>
    /// <param name="schedule">The epoch schedule (R8.3).</param>
    /// <param name="store">Where wrapped sets and the sealed current key live.</param>
    /// <param name="kek">The host key-encryption key.</param>
    /// <param name="certificates">The participants' active client certificates.</param>
    /// <param name="time">The clock.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>R8.4.</remarks>
    public KeyRing(EpochSchedule schedule, IKeyStore store, IKeyEncryptionKey kek, IActiveCertificates certificates, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(time);
        _schedule = schedule;
        _store = store;
        _kek = kek;
        _certificates = certificates;
        _time = time;
    }

    /// <summary>The participant's key for the epoch of now, rotating first when a new epoch has begun.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>The current key, owned by the ring.</returns>
    /// <exception cref="ArgumentException">The participant has no active certificate, so no key (see <see cref="TryCurrent"/>), or one is unsupported.</exception>
    /// <exception cref="InvalidOperationException">The current epoch's key is stored wrapped but cannot be restored (see <see cref="EnsureCurrent"/>).</exception>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.2, R8.4.</remarks>
    public EpochKey Current(ParticipantId participant)
    {
        lock (_gate)
        {
            EnsureCurrentLocked(participant);
            return _current.TryGetValue(participant, out var key)
                ? key
                : throw new ArgumentException($"The participant {participant} has no active client certificate, so no epoch key.", nameof(participant));
        }
    }

    /// <summary>The participant's key for the epoch of now, rotating first; none while it has no active certificate.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="key">The current key, owned by the ring; null when there is none.</param>
    /// <returns>True when there is a current key.</returns>
    /// <exception cref="ArgumentException">A certificate of the participant is unsupported.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="EnsureCurrent"/>.</exception>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.1, R8.4: a participant with no active certificate has no key, so nothing is sealed for it.</remarks>
    public bool TryCurrent(ParticipantId participant, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EpochKey? key)
    {
        lock (_gate)
        {
            EnsureCurrentLocked(participant);
            return _current.TryGetValue(participant, out key);
        }
    }

    /// <summary>Wraps the current epoch's key again to exactly the active certificates, after a certificate was enrolled or
    /// revoked in the middle of an epoch; makes the key when the participant had none for want of a certificate.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>What was done; <see cref="KeyRotation.NoCertificate"/> when it still has no active certificate.</returns>
    /// <exception cref="ArgumentException">A certificate of the participant is unsupported.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="EnsureCurrent"/>.</exception>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.1: every wrapped set of a live epoch covers every active certificate. When the last certificate was
    /// revoked, the set keeps its wraps (the operator still holds the private key of the revoked certificate, the only
    /// way back to this epoch's records); the key is destroyed at the epoch's end as always (R8.4).</remarks>
    public KeyRotation WrapCurrent(ParticipantId participant)
    {
        lock (_gate)
        {
            var rotation = EnsureCurrentLocked(participant);
            if (rotation.Created || !_current.TryGetValue(participant, out var key))
            {
                return rotation;
            }

            var certificates = _certificates.ActiveFor(participant);
            if (certificates.Count == 0)
            {
                return rotation with { NoCertificate = true };
            }

            _store.SaveWrappedSet(KeyWrapper.WrapToAll(key, certificates));
            return rotation with { Rewrapped = true };
        }
    }

    /// <summary>Makes sure the participant's key is that of the epoch of now, rotating when needed.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentException">The participant has no active certificate, or one is unsupported.</exception>
    /// <exception cref="InvalidOperationException">The current epoch's key is stored wrapped but its sealed copy is
    /// missing or does not open (the KEK changed): the ring refuses to replace a key records may be sealed under.</exception>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.4. Call it at every epoch start (a timer in the host) so destruction does not wait for traffic.</remarks>
    public KeyRotation EnsureCurrent(ParticipantId participant)
    {
        lock (_gate)
        {
            return EnsureCurrentLocked(participant);
        }
    }

    /// <summary>Destroys every key of the participant whose epoch has ended, without making the current one: the first step
    /// of every rotation, so that no failure in making a key (a certificate, the KEK) ever keeps an old key alive.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>The epochs destroyed, oldest first.</returns>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.4.</remarks>
    public IReadOnlyList<EpochId> DestroyEnded(ParticipantId participant)
    {
        lock (_gate)
        {
            return HeldIsCurrent(participant, out _, out _) ? [] : DestroyEndedLocked(participant, out _, out _);
        }
    }

    /// <summary>Drops every held key from memory (zeroised); sealed copies stay for the next start.</summary>
    /// <remarks>R8.4.</remarks>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var key in _current.Values)
            {
                key.Dispose();
            }

            _current.Clear();
        }
    }

    private KeyRotation EnsureCurrentLocked(ParticipantId participant)
    {
        if (HeldIsCurrent(participant, out var current, out var behind))
        {
            return new KeyRotation(current, false, []) { ClockBehind = behind };
        }

        var destroyed = DestroyEndedLocked(participant, out var epoch, out var clockBehind);
        if (_current.TryGetValue(participant, out var held) && held.Epoch == epoch)
        {
            return new KeyRotation(epoch, false, destroyed) { ClockBehind = clockBehind };
        }

        var hasSet = _store.TryLoadWrappedSet(epoch, out var existing);
        if (hasSet && TryRestore(epoch, existing!, out var restored))
        {
            _current[participant] = restored;
            return new KeyRotation(epoch, false, destroyed) { ClockBehind = clockBehind };
        }

        if (hasSet)
        {
            // Records may already be sealed under this epoch's key; its wrapped set is the only way
            // back to them, so it is never replaced by a new key's.
            throw Unrestorable(epoch);
        }

        // A sealed copy without a wrapped set is left by a crash during creation (the sealed copy is
        // written first): no record was sealed under it. Destroy it before making a new key.
        _store.DestroyLeftoverSealedKey(epoch);
        var certificates = _certificates.ActiveFor(participant);
        if (certificates.Count == 0)
        {
            // No certificate to wrap to: no key is made for this epoch (a key nobody could recover,
            // or one kept waiting for a certificate, would outlive the rule of R8.4). Content is not
            // stored while this lasts; an enrolment makes the key at once (WrapCurrent).
            return new KeyRotation(epoch, false, destroyed) { NoCertificate = true, ClockBehind = clockBehind };
        }

        var key = EpochKey.Create(epoch);
        bool created;
        try
        {
            var set = KeyWrapper.WrapToAll(key, certificates);
            created = _store.TryCreate(epoch, _kek.Seal(key.Bytes, KeyWrapper.AadOf(epoch)), set);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        if (created)
        {
            _current[participant] = key;
            return new KeyRotation(epoch, true, destroyed) { ClockBehind = clockBehind };
        }

        // Another host sharing the store made this epoch's key between our look and our write (R8.2: one key per
        // participant per epoch): ours is dropped unused and theirs restored, or refused as above.
        key.Dispose();
        if (_store.TryLoadWrappedSet(epoch, out var theirs) && TryRestore(epoch, theirs, out var restoredTheirs))
        {
            _current[participant] = restoredTheirs;
            return new KeyRotation(epoch, false, destroyed) { ClockBehind = clockBehind };
        }

        throw Unrestorable(epoch);
    }

    /// <summary>The fast path of every call: the held key is of the epoch of now (or later, with a clock behind), so nothing
    /// older can be left to destroy by this ring.</summary>
    private bool HeldIsCurrent(ParticipantId participant, out EpochId epoch, out bool clockBehind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var scheduled = _schedule.EpochOf(participant, _time.GetUtcNow());
        if (_current.TryGetValue(participant, out var held) && held.Epoch.Index >= scheduled.Index)
        {
            epoch = held.Epoch;
            clockBehind = held.Epoch != scheduled;
            return true;
        }

        epoch = scheduled;
        clockBehind = false;
        return false;
    }

    /// <summary>The epoch current for a participant, and the destruction of every key older than it (R8.4).</summary>
    /// <remarks>A clock that stepped back never makes an older epoch current again: the latest epoch this ring holds, or
    /// finds sealed on disk with its wrapped set, stays current until the clock passes it, so its key is never destroyed
    /// early and sealing goes on.</remarks>
    private List<EpochId> DestroyEndedLocked(ParticipantId participant, out EpochId epoch, out bool clockBehind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var scheduled = _schedule.EpochOf(participant, _time.GetUtcNow());
        epoch = scheduled;
        if (_current.TryGetValue(participant, out var held) && held.Epoch.Index > epoch.Index)
        {
            epoch = held.Epoch;
        }

        foreach (var onDisk in _store.SealedKeyEpochs(participant))
        {
            if (onDisk.Index > epoch.Index && _store.TryLoadWrappedSet(onDisk, out _))
            {
                epoch = onDisk;
            }
        }

        clockBehind = epoch != scheduled;
        if (held is not null && held.Epoch != epoch)
        {
            _current.Remove(participant);
            held.Dispose();
        }

        // Destroy every sealed copy older than the current epoch: the one just held, and any left by a
        // host that was down across a boundary.
        var destroyed = new List<EpochId>();
        foreach (var old in _store.SealedKeyEpochs(participant))
        {
            if (old.Index < epoch.Index)
            {
                _store.DestroySealedKey(old);
                destroyed.Add(old);
            }
        }

        destroyed.Sort((a, b) => a.Index.CompareTo(b.Index));
        return destroyed;
    }

    private static InvalidOperationException Unrestorable(EpochId epoch) => new(
        $"The key of {epoch} is stored wrapped, but its sealed copy is missing or does not open under this host's key-encryption key; " +
        "refusing to replace it. Restore the key-encryption key, or wait for the next epoch.");

    private bool TryRestore(EpochId epoch, WrappedKeySet set, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EpochKey? key)
    {
        key = null;
        if (!_store.TryLoadSealedKey(epoch, out var sealedKey))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[EpochKey.Size];
        try
        {
            if (!_kek.TryOpen(sealedKey, KeyWrapper.AadOf(epoch), bytes, out var written) || written != EpochKey.Size || !set.Commitment.Matches(bytes))
            {
                return false;
            }

            key = EpochKey.FromBytes(epoch, bytes);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
