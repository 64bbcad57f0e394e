using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Pipeline;

/// <summary>Rotates epoch keys and writes each rotation and destruction to the operation history (R8.2–R8.4, R6.4).</summary>
internal static class KeyEpochs
{
    public static async Task<KeyRotation> EnsureCurrentAsync(SocsData data, ParticipantId participant, CancellationToken cancellationToken = default)
    {
        var rotation = data.Ring.EnsureCurrent(participant);
        if (rotation.Created)
        {
            var wrappedTo = data.Keys.TryLoadWrappedSet(rotation.Current, out var set) ? set.Wrapped.Count : 0;
            await data.History.AppendAsync("system:keys", "keys.epoch.started", $"keys/{participant}/{rotation.Current.Index}", $"wrapped_to={wrappedTo}", cancellationToken).ConfigureAwait(false);
        }

        foreach (var destroyed in rotation.Destroyed)
        {
            await data.History.AppendAsync("system:keys", "keys.epoch.destroyed", $"keys/{participant}/{destroyed.Index}", "zeroised in memory; sealed copy overwritten and deleted; wrapped forms remain (R8.4)", cancellationToken).ConfigureAwait(false);
        }

        return rotation;
    }

    /// <summary>Rotates every active participant's key to the epoch of now.</summary>
    public static async Task<IReadOnlyList<KeyRotation>> RotateAllAsync(SocsData data, CancellationToken cancellationToken = default)
    {
        var rotations = new List<KeyRotation>();
        foreach (var participant in data.Registry.State.Participants.Values.Where(p => !Core.Participants.Procedures.ParticipantProcedures.IsEnded(p.StatusOn(Core.Time.Jst.DateOf(data.Time.GetUtcNow()))) && p.Certificates.Count > 0).Select(p => p.Id).OrderBy(p => p.Value, StringComparer.Ordinal))
        {
            rotations.Add(await EnsureCurrentAsync(data, participant, cancellationToken).ConfigureAwait(false));
        }

        return rotations;
    }
}
