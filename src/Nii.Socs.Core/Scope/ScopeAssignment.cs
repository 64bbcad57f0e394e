using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Scope;

/// <summary>One registered prefix of one participant (R3.1): the unit the scope index is built from.</summary>
/// <param name="Participant">The participant that registered the prefix.</param>
/// <param name="Prefix">The monitored prefix.</param>
/// <remarks>R5.1: traffic is monitored when its source or destination lies inside some assignment's prefix.</remarks>
public readonly record struct ScopeAssignment(ParticipantId Participant, IPPrefix Prefix);
