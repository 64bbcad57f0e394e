using System.Globalization;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Pipeline;

/// <summary>Rotates epoch keys and writes each rotation, destruction and key-less state to the operation history (R8.2–R8.4, R6.4).</summary>
/// <remarks>Every participant is rotated on its own: one participant's failure (a certificate file missing, a key
/// that does not restore) is recorded and never stops another's rotation or destruction.</remarks>
internal static class KeyEpochs
{
    /// <summary>A destruction later than this after the epoch's end is recorded with its lateness (the service was down).</summary>
    private static readonly TimeSpan s_lateAfter = TimeSpan.FromMinutes(1);

    public static async Task<KeyRotation> EnsureCurrentAsync(SocsData data, ParticipantId participant, CancellationToken cancellationToken = default)
    {
        // Destruction first and on its own: a failure in making the new key never keeps an old key alive.
        var destroyed = await DestroyEndedAsync(data, participant, cancellationToken).ConfigureAwait(false);
        var rotation = data.Ring.EnsureCurrent(participant);
        await RecordAsync(data, participant, rotation, cancellationToken).ConfigureAwait(false);
        return destroyed.Count == 0 ? rotation : rotation with { Destroyed = [.. destroyed, .. rotation.Destroyed] };
    }

    /// <summary>Destroys the participant's keys of ended epochs and records each destruction.</summary>
    public static async Task<IReadOnlyList<EpochId>> DestroyEndedAsync(SocsData data, ParticipantId participant, CancellationToken cancellationToken = default)
    {
        var destroyed = data.Ring.DestroyEnded(participant);
        if (destroyed.Count > 0)
        {
            await RecordAsync(data, participant, new KeyRotation(data.Schedule.EpochOf(participant, data.Time.GetUtcNow()), false, destroyed), cancellationToken).ConfigureAwait(false);
        }

        return destroyed;
    }

    /// <summary>Wraps the current key again after a certificate was enrolled, renewed or revoked (R8.1), and records it.</summary>
    public static async Task<KeyRotation> WrapCurrentAsync(SocsData data, ParticipantId participant, CancellationToken cancellationToken = default)
    {
        var rotation = data.Ring.WrapCurrent(participant);
        await RecordAsync(data, participant, rotation, cancellationToken).ConfigureAwait(false);
        return rotation;
    }

    /// <summary>Writes what a rotation did to the history; each key-less or clock-behind state once per epoch.</summary>
    public static async Task RecordAsync(SocsData data, ParticipantId participant, KeyRotation rotation, CancellationToken cancellationToken = default)
    {
        var now = data.Time.GetUtcNow();
        foreach (var destroyed in rotation.Destroyed)
        {
            var late = now - data.Schedule.EndOf(destroyed);
            var lateness = late > s_lateAfter ? string.Create(CultureInfo.InvariantCulture, $"; late by {late.TotalHours:0.##} h (the service was not running at the epoch's end)") : string.Empty;
            await data.History.AppendAsync("system:keys", "keys.epoch.destroyed", $"keys/{participant}/{destroyed.Index}", $"zeroised in memory; sealed copy overwritten and deleted; wrapped forms remain (R8.4){lateness}", cancellationToken).ConfigureAwait(false);
        }

        if (rotation.Created || rotation.Rewrapped)
        {
            var wrappedTo = data.Keys.TryLoadWrappedSet(rotation.Current, out var set) ? set.Wrapped.Count : 0;
            var thumbprints = set is null ? string.Empty : " " + string.Join(",", set.Wrapped.Select(w => w.Thumbprint[..Math.Min(16, w.Thumbprint.Length)]));
            await data.History.AppendAsync("system:keys", rotation.Created ? "keys.epoch.started" : "keys.epoch.rewrapped", $"keys/{participant}/{rotation.Current.Index}", $"wrapped_to={wrappedTo}{thumbprints}", cancellationToken).ConfigureAwait(false);
        }

        if (rotation.NoCertificate && data.NoteOnce("no-certificate", rotation.Current))
        {
            await data.History.AppendAsync("system:keys", "keys.epoch.no-certificate", $"keys/{participant}/{rotation.Current.Index}", "no active certificate: no key for this epoch; detections are stored with headers only, their content is not kept, until a certificate is enrolled (R8.1, R8.4)", cancellationToken).ConfigureAwait(false);
            if (data.OnNoCertificate is { } notify)
            {
                await notify(participant, rotation.Current, cancellationToken).ConfigureAwait(false);
            }
        }

        if (rotation.ClockBehind && data.NoteOnce("clock-behind", rotation.Current))
        {
            var scheduled = data.Schedule.EpochOf(participant, now);
            await data.History.AppendAsync("system:keys", "keys.clock.behind", $"keys/{participant}/{rotation.Current.Index}", $"the clock reads epoch {scheduled.Index}, behind the current key's epoch {rotation.Current.Index}: no key destroyed, sealing goes on under epoch {rotation.Current.Index} (R8.4)", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the current epoch's wrapped set lacks a certificate the registry lists as active.</summary>
    public static bool MissesAnActiveCertificate(SocsData data, ParticipantId participant, EpochId epoch)
    {
        if (!data.Keys.TryLoadWrappedSet(epoch, out var set) || !data.Registry.State.Participants.TryGetValue(participant, out var entry))
        {
            return false;
        }

        var wrapped = set.Wrapped.Select(w => w.Thumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return entry.Certificates.Values.Any(c => c.Status == Core.Participants.Registry.CertificateStatus.Active && !wrapped.Contains(c.Thumbprint));
    }

    /// <summary>Rotates every participant not terminated to the epoch of now, each on its own.</summary>
    /// <returns>The rotations that succeeded; a failure is recorded in the history (<c>keys.rotation.failed</c>) and skipped.</returns>
    public static async Task<IReadOnlyList<KeyRotation>> RotateAllAsync(SocsData data, CancellationToken cancellationToken = default)
    {
        var rotations = new List<KeyRotation>();
        foreach (var participant in data.Registry.State.Participants.Values.Where(p => !Core.Participants.Procedures.ParticipantProcedures.IsEnded(p.StatusOn(Core.Time.Jst.DateOf(data.Time.GetUtcNow())))).Select(p => p.Id).OrderBy(p => p.Value, StringComparer.Ordinal))
        {
            KeyRotation rotation;
            IReadOnlyList<EpochId> destroyed = [];
            try
            {
                // Destruction first and on its own (recorded at once): a failure below never keeps an old key alive.
                destroyed = await DestroyEndedAsync(data, participant, cancellationToken).ConfigureAwait(false);
                rotation = data.Ring.EnsureCurrent(participant);
                if (!rotation.Created && !rotation.NoCertificate && MissesAnActiveCertificate(data, participant, rotation.Current))
                {
                    // A certificate registered without its re-wrap (a crash between the two): wrap now.
                    rotation = data.Ring.WrapCurrent(participant) with { Destroyed = rotation.Destroyed };
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await data.History.AppendAsync("system:keys", "keys.rotation.failed", $"keys/{participant}", ex.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await RecordAsync(data, participant, rotation, cancellationToken).ConfigureAwait(false);
            rotations.Add(destroyed.Count == 0 ? rotation : rotation with { Destroyed = [.. destroyed, .. rotation.Destroyed] });
        }

        return rotations;
    }
}
