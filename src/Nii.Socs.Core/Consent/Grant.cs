using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Consent;

/// <summary>A viewing grant (R8.6): exactly the records of one request's scope, for its requester, until an expiry.</summary>
/// <param name="Id">The grant's id.</param>
/// <param name="Request">The approved request.</param>
/// <param name="Participant">Whose records.</param>
/// <param name="Grantee">Who may view: the requester.</param>
/// <param name="Scope">Which records.</param>
/// <param name="Purpose">The request's purpose.</param>
/// <param name="Epochs">The epochs whose keys the participant presented.</param>
/// <param name="ExpiresAt">The first instant the grant no longer allows viewing.</param>
/// <param name="RevokedAt">When the participant revoked it; null while not revoked.</param>
public sealed record Grant(
    GrantId Id,
    RequestId Request,
    ParticipantId Participant,
    Actor Grantee,
    ConsentScope Scope,
    Purpose Purpose,
    IReadOnlySet<EpochId> Epochs,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>Whether the grant allows viewing at an instant.</summary>
    /// <param name="now">The instant.</param>
    /// <returns>True before expiry and before any revocation.</returns>
    public bool IsLive(DateTimeOffset now) => now < ExpiresAt && (RevokedAt is null || now < RevokedAt);
}
