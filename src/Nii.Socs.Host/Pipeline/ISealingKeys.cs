using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Pipeline;

/// <summary>Where the ingest path gets the key it seals a participant's content with (R7.1, R8.2): this host's own key
/// ring (<see cref="RingSealingKeys"/>, one machine and the key service's host), or the organization's key service
/// (<see cref="KeyService.KeyServiceClient"/>, a sensor).</summary>
/// <remarks>A key handed out is owned by the source: the caller seals with it now and keeps it no longer (the source
/// destroys it at its epoch's end). Failures are thrown as <see cref="IOException"/>, <see cref="InvalidOperationException"/>,
/// <see cref="ArgumentException"/> or <see cref="System.Security.Cryptography.CryptographicException"/>; the ingest path
/// then stores headers only and records <c>keys.sealing.failed</c> once per epoch.</remarks>
internal interface ISealingKeys : IDisposable
{
    /// <summary>The participant's key for the epoch of now, or none (no active certificate: headers only).</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The epoch the record belongs to and its key, when there is one.</returns>
    ValueTask<SealingKey> CurrentAsync(ParticipantId participant, CancellationToken cancellationToken);
}

/// <summary>The key to seal with now.</summary>
/// <param name="Epoch">The epoch a record sealed now belongs to.</param>
/// <param name="Key">Its key, owned by the source; null when the participant has none this epoch.</param>
internal readonly record struct SealingKey(EpochId Epoch, EpochKey? Key);

/// <summary>Keys from this host's own key ring: rotation, destruction and their history entries happen here (R8.2–R8.4).</summary>
internal sealed class RingSealingKeys(SocsData data) : ISealingKeys
{
    public async ValueTask<SealingKey> CurrentAsync(ParticipantId participant, CancellationToken cancellationToken)
    {
        var rotation = await KeyEpochs.EnsureCurrentAsync(data, participant, cancellationToken).ConfigureAwait(false);
        return data.Ring.TryCurrent(participant, out var current) ? new SealingKey(current.Epoch, current) : new SealingKey(rotation.Current, null);
    }

    /// <summary>Nothing of its own: the ring is <see cref="SocsData"/>'s.</summary>
    public void Dispose()
    {
    }
}
