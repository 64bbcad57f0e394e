using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>Where the key ring keeps wrapped sets and the KEK-sealed current key (R8.1, R8.4).</summary>
/// <remarks>
/// R8.4: the store never sees a key in clear: only wrapped sets (R8.1) and the current key sealed under
/// the host key-encryption key. Implemented on files by <c>Nii.Socs.Core.Storage.Keys.FileKeyStore</c>.
/// Edge case: <see cref="DestroySealedKey"/> of an epoch that has no sealed key does nothing.
/// </remarks>
internal interface IKeyStore
{
    /// <summary>Stores an epoch's wrapped set durably, replacing an earlier one.</summary>
    /// <param name="wrappedSet">The set.</param>
    void SaveWrappedSet(WrappedKeySet wrappedSet);

    /// <summary>Reads an epoch's wrapped set.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="wrappedSet">The set when stored.</param>
    /// <returns>Whether the epoch has a wrapped set.</returns>
    bool TryLoadWrappedSet(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKeySet? wrappedSet);

    /// <summary>Stores the current key of an epoch sealed under the host key-encryption key, durably.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="sealedKey">The sealed key.</param>
    void SaveSealedKey(EpochId epoch, ReadOnlySpan<byte> sealedKey);

    /// <summary>Reads the sealed key of an epoch.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="sealedKey">The sealed key when stored.</param>
    /// <returns>Whether the epoch has a sealed key.</returns>
    bool TryLoadSealedKey(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? sealedKey);

    /// <summary>Destroys the sealed key of an epoch: overwritten, then deleted (R8.4).</summary>
    /// <param name="epoch">The epoch.</param>
    void DestroySealedKey(EpochId epoch);

    /// <summary>Stores a new key of an epoch that has no wrapped set yet: its sealed copy (replacing one a crash left
    /// without a wrapped set) and its wrapped set, as one step against every other writer of the store (R8.2).</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="sealedKey">The key sealed under the key-encryption key.</param>
    /// <param name="wrappedSet">The key wrapped to the participant's certificates, of <paramref name="epoch"/>.</param>
    /// <returns>False, storing nothing, when the epoch already has a wrapped set: another writer made its key first.</returns>
    /// <remarks>Hosts that share one store (the cluster's) may rotate at the same instant; only one key per participant
    /// and epoch may ever be stored, and the loser restores the winner's.</remarks>
    bool TryCreate(EpochId epoch, ReadOnlySpan<byte> sealedKey, WrappedKeySet wrappedSet);

    /// <summary>Destroys the sealed key of an epoch that has no wrapped set (left by a crash during creation, R8.4);
    /// does nothing when the epoch has a wrapped set, whose key records may be sealed under.</summary>
    /// <param name="epoch">The epoch.</param>
    void DestroyLeftoverSealedKey(EpochId epoch);

    /// <summary>The epochs of a participant that have a wrapped set, ascending.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>The epochs, possibly empty.</returns>
    IReadOnlyList<EpochId> WrappedSetEpochs(ParticipantId participant);

    /// <summary>The epochs of a participant that still have a sealed key.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>The epochs, possibly empty.</returns>
    IReadOnlyList<EpochId> SealedKeyEpochs(ParticipantId participant);
}
