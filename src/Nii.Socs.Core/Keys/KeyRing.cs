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
/// </remarks>
public sealed class KeyRing : IDisposable
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
    /// <exception cref="ArgumentException">The participant has no active certificate, or one is unsupported.</exception>
    /// <exception cref="InvalidOperationException">The current epoch's key is stored wrapped but cannot be restored (see <see cref="EnsureCurrent"/>).</exception>
    /// <exception cref="ObjectDisposedException">The ring has been disposed.</exception>
    /// <remarks>R8.2, R8.4.</remarks>
    public EpochKey Current(ParticipantId participant)
    {
        lock (_gate)
        {
            EnsureCurrentLocked(participant);
            return _current[participant];
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
        ObjectDisposedException.ThrowIf(_disposed, this);
        var epoch = _schedule.EpochOf(participant, _time.GetUtcNow());
        var destroyed = new List<EpochId>();
        if (_current.TryGetValue(participant, out var held))
        {
            if (held.Epoch == epoch)
            {
                return new KeyRotation(epoch, false, destroyed);
            }

            _current.Remove(participant);
            held.Dispose();
        }

        // Destroy every sealed copy but the current epoch's: the one just held, and any left by a
        // host that was down across a boundary.
        foreach (var old in _store.SealedKeyEpochs(participant))
        {
            if (old != epoch)
            {
                _store.DestroySealedKey(old);
                destroyed.Add(old);
            }
        }

        destroyed.Sort((a, b) => a.Index.CompareTo(b.Index));
        var hasSet = _store.TryLoadWrappedSet(epoch, out var existing);
        if (hasSet && TryRestore(epoch, existing!, out var restored))
        {
            _current[participant] = restored;
            return new KeyRotation(epoch, false, destroyed);
        }

        if (hasSet)
        {
            // Records may already be sealed under this epoch's key; its wrapped set is the only way
            // back to them, so it is never replaced by a new key's.
            throw new InvalidOperationException(
                $"The key of {epoch} is stored wrapped, but its sealed copy is missing or does not open under this host's key-encryption key; " +
                "refusing to replace it. Restore the key-encryption key, or wait for the next epoch.");
        }

        // A sealed copy without a wrapped set is left by a crash during creation (the sealed copy is
        // written first): no record was sealed under it. Destroy it before making a new key.
        _store.DestroySealedKey(epoch);
        var key = EpochKey.Create(epoch);
        try
        {
            var set = KeyWrapper.WrapToAll(key, _certificates.ActiveFor(participant));
            _store.SaveSealedKey(epoch, _kek.Seal(key.Bytes, KeyWrapper.AadOf(epoch)));
            _store.SaveWrappedSet(set);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        _current[participant] = key;
        return new KeyRotation(epoch, true, destroyed);
    }

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
