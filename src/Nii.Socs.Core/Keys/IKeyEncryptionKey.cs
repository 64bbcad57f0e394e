namespace Nii.Socs.Core.Keys;

/// <summary>The host key-encryption key that seals the current epoch key so it survives a restart (R8.4).</summary>
/// <remarks>
/// R8.4: the current key never reaches disk in clear. A configured file
/// (<c>Nii.Socs.Core.Storage.Keys.FileKeyEncryptionKey</c>) implements it now; an HSM can later.
/// <para><b>Security:</b> whoever holds the KEK file and the data directory can read the current
/// epoch's key, never a past one (their sealed copies are destroyed at rotation).</para>
/// Edge case: opening with the wrong associated data (another epoch) returns false.
/// </remarks>
internal interface IKeyEncryptionKey
{
    /// <summary>Seals key bytes.</summary>
    /// <param name="key">The key bytes.</param>
    /// <param name="associatedData">What the sealed copy is bound to (the epoch).</param>
    /// <returns>The sealed copy.</returns>
    byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData);

    /// <summary>Opens a sealed copy.</summary>
    /// <param name="sealedKey">The sealed copy.</param>
    /// <param name="associatedData">What it must be bound to.</param>
    /// <param name="key">Receives the key bytes.</param>
    /// <param name="written">The number of key bytes.</param>
    /// <returns>Whether it opened.</returns>
    bool TryOpen(ReadOnlySpan<byte> sealedKey, ReadOnlySpan<byte> associatedData, Span<byte> key, out int written);
}
