namespace Nii.Socs.Core.Keys;

/// <summary>What <see cref="KeyRing.EnsureCurrent"/> did: the epoch now current, whether its key was new, and the epochs destroyed (R8.4).</summary>
/// <remarks>R8.4. The operation history (R6.4) and the yearly report (R13.1) record each destruction.
/// Edge case: after a restart across two boundaries, <see cref="Destroyed"/> lists both old epochs.</remarks>
/// <param name="Current">The epoch now current.</param>
/// <param name="Created">Whether a new key was made (false when it was already held or restored).</param>
/// <param name="Destroyed">The epochs whose keys were destroyed, oldest first; empty when none.</param>
internal sealed record KeyRotation(EpochId Current, bool Created, IReadOnlyList<EpochId> Destroyed)
{
    /// <summary>The participant has no active certificate, so it has no key for <see cref="Current"/>: nothing is sealed
    /// for it, and its content is not stored, until a certificate is enrolled (R8.1, R8.4).</summary>
    public bool NoCertificate { get; init; }

    /// <summary>The clock is behind the latest epoch the ring has a key for; that later epoch stays current and no key
    /// was destroyed for it (R8.4).</summary>
    public bool ClockBehind { get; init; }

    /// <summary>The current key was wrapped again to the active certificates (<see cref="KeyRing.WrapCurrent"/>).</summary>
    public bool Rewrapped { get; init; }
}
