using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>A kind of detection for mailing (R4.5): one participant and one rule signature id.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="Sid">The rule's signature id.</param>
/// <remarks>R4.5, R4.6: the first detection of a kind is mailed at once, and follow-ups thread to that kind's first mail.</remarks>
internal readonly record struct NotificationKind(ParticipantId Participant, long Sid)
{
    /// <summary>The kind as <c>participant/sid</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => $"{Participant}/{Sid}";
}
