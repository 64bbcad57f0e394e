using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Sealing;

/// <summary>Seals a detection's content under an epoch key and opens it again: the package's entry point for sealing (R7.1).</summary>
/// <remarks>
/// R7.1: the content is sealed with the AEAD chosen by benchmark (docs/decisions/0002-aead-choice.md), bound to the
/// record's participant, epoch, id and clear header, so a blob moved to another record does not open.
/// <para><b>Security:</b> opening needs the <see cref="EpochKey"/> itself. Outside this library a caller gets one only by
/// creating it (<see cref="EpochKey.Create"/>) or by unwrapping it with the participant's private key
/// (<see cref="ParticipantPrivateKey"/>); the keys the organization holds stay internal and are reached only through
/// <see cref="Storage.Consent.ConsentService"/> (R8.6).</para>
/// </remarks>
public static class SealedContent
{
    /// <summary>Seals content for one record.</summary>
    /// <param name="key">The epoch key (its epoch names the participant).</param>
    /// <param name="record">The record's id.</param>
    /// <param name="header">The record's clear header.</param>
    /// <param name="plaintext">The content.</param>
    /// <returns>The sealed blob, to store as <see cref="DetectionRecord.SealedContent"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    public static byte[] Seal(EpochKey key, DetectionId record, DetectionHeader header, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(header);
        return ContentSealer.Default.Seal(key, SealingContext.For(key.Epoch, record, header), plaintext);
    }

    /// <summary>Opens the sealed content of a record.</summary>
    /// <param name="key">The record's epoch key.</param>
    /// <param name="record">The record.</param>
    /// <param name="plaintext">The content when it opened; null otherwise.</param>
    /// <param name="failure">Why it did not open, or <see cref="OpenFailure.None"/>; a key of another epoch or participant than
    /// the record's is <see cref="OpenFailure.WrongEpoch"/> or <see cref="OpenFailure.WrongParticipant"/>.</param>
    /// <returns>Whether it opened: an expected "no" is returned, never thrown.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The record's participant is not its epoch's.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    public static bool TryOpen(EpochKey key, DetectionRecord record, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext, out OpenFailure failure)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(record);
        return ContentSealer.TryOpen(key, SealingContext.For(record), record.SealedContent.Span, out plaintext, out failure);
    }

    /// <summary>Opens a sealed blob of one record.</summary>
    /// <param name="key">The record's epoch key.</param>
    /// <param name="record">The record's id.</param>
    /// <param name="header">The record's clear header.</param>
    /// <param name="sealedContent">The blob from <see cref="Seal"/>.</param>
    /// <param name="plaintext">The content when it opened; null otherwise.</param>
    /// <param name="failure">Why it did not open, or <see cref="OpenFailure.None"/>.</param>
    /// <returns>Whether it opened; the record's epoch is taken to be the key's, so any other key is <see cref="OpenFailure.NotAuthentic"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    public static bool TryOpen(EpochKey key, DetectionId record, DetectionHeader header, ReadOnlySpan<byte> sealedContent, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext, out OpenFailure failure)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(header);
        return ContentSealer.TryOpen(key, SealingContext.For(key.Epoch, record, header), sealedContent, out plaintext, out failure);
    }
}
