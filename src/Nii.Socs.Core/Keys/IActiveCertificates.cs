using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>The client certificates a participant's new epoch keys are wrapped to (R8.1, R6.2).</summary>
/// <remarks>R8.1: every active certificate (one per portal operator); R6.2: a renewed or revoked
/// certificate stops being active, so new epochs wrap to the new one only. Edge case: an empty list
/// stops rotation with an error rather than making a key nobody can recover.</remarks>
public interface IActiveCertificates
{
    /// <summary>The active certificates of a participant at the time of the call.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>The certificates; empty when it has none.</returns>
    IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant);
}
