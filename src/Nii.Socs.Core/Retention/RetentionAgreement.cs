using System.Globalization;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Retention;

/// <summary>An agreement between the organization and a participant that extends or shortens retention (R7.3).</summary>
/// <remarks>
/// R7.3: "the organization and a participant may agree to extend or shorten this". (interp.) An agreement applies to
/// detections acquired from <see cref="EffectiveFrom"/> (00:00 JST of that date) on; it never changes the expiry of
/// detections acquired before it, so an agreement cannot resurrect or prolong data that was due to go.
/// <para>Edge case: an agreement of 6 months effective 2026-11-15 leaves the November 2026 partition at the shorter
/// of the two policies (a partition is deleted whole, and retention is "at most").</para>
/// </remarks>
/// <param name="Participant">The participant.</param>
/// <param name="Policy">The agreed policy.</param>
/// <param name="EffectiveFrom">The JST date from which acquired detections fall under it.</param>
internal sealed record RetentionAgreement(ParticipantId Participant, RetentionPolicy Policy, DateOnly EffectiveFrom)
{
    /// <summary>The instant from which the agreement applies: 00:00 JST of <see cref="EffectiveFrom"/>.</summary>
    public DateTimeOffset EffectiveAt => Time.Jst.At(EffectiveFrom);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Participant}: {Policy.Months} month(s) from {EffectiveFrom:yyyy-MM-dd}");
}
