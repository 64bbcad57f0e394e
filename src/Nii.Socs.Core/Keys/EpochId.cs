using System.Globalization;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Keys;

/// <summary>A key epoch (R8.2): one participant's common-key period, numbered from 0.</summary>
/// <remarks>
/// Each participant has its own sequence of epochs; the period length is set per participant
/// (R8.3, one week by default). The index is a pure function of the participant's schedule and
/// an instant.
/// </remarks>
/// <param name="Participant">The participant the key belongs to.</param>
/// <param name="Index">The epoch number in the participant's schedule.</param>
public readonly record struct EpochId(ParticipantId Participant, long Index)
{
    /// <summary>The epoch as <c>participant#index</c>.</summary>
    /// <returns>For example <c>u-tokyo#2921</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Participant}#{Index}");
}
