using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Portal;

/// <summary>Who a portal request comes from: the actor its client certificate maps to (R6.1).</summary>
/// <param name="Actor">An operator of exactly one participant, or organization staff.</param>
/// <param name="Thumbprint">The client certificate's SHA-256 thumbprint, lower-case hex.</param>
/// <remarks>
/// R4.7, R6.1. Made only by <see cref="PortalAuthentication"/> from a certificate the registry (or the staff list)
/// knows and has not revoked. Edge case: an operator whose certificate is revoked mid-session is refused from the
/// next request on, because the mapping is looked up per request.
/// </remarks>
internal sealed record PortalPrincipal(Actor Actor, string Thumbprint)
{
    /// <summary>Whether this is organization staff.</summary>
    public bool IsStaff => Actor.Kind == ActorKind.Staff;

    /// <summary>The participant of an operator; throws for staff.</summary>
    /// <exception cref="InvalidOperationException">The principal is staff.</exception>
    public ParticipantId Participant => Actor.Participant ?? throw new InvalidOperationException("Staff is not an operator of a participant.");

    /// <summary>The actor text written to the operation history (R6.4).</summary>
    public string HistoryActor => Actor.ToString();
}
