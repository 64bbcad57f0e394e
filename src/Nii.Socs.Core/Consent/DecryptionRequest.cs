using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Consent;

/// <summary>A request to decrypt communication content (R8.5), filed before any decryption.</summary>
/// <param name="Id">The request's id.</param>
/// <param name="Requester">Who asks: staff or an operator of the participant.</param>
/// <param name="Participant">Whose detections are to be decrypted.</param>
/// <param name="Scope">Which records.</param>
/// <param name="Purpose">Why.</param>
/// <param name="PurposeText">The purpose in words; required.</param>
/// <param name="RequestedAt">When the request was filed.</param>
/// <param name="Deadline">When the request expires if undecided.</param>
public sealed record DecryptionRequest(
    RequestId Id,
    Actor Requester,
    ParticipantId Participant,
    ConsentScope Scope,
    Purpose Purpose,
    string PurposeText,
    DateTimeOffset RequestedAt,
    DateTimeOffset Deadline);
