namespace Nii.Socs.Core.Participants;

/// <summary>Ending use of the service by a termination notice (R12.1).</summary>
internal static class Termination
{
    /// <summary>The first day on which the termination is in effect: the day after the date written on the notice.</summary>
    /// <param name="noticeDate">The date written on the notice.</param>
    /// <returns><paramref name="noticeDate"/> + 1 day.</returns>
    /// <remarks>R12.1. Edge case: a notice dated 2027-03-31 takes effect on 2027-04-01, so the participant is still active on the last day of the fiscal year.</remarks>
    public static DateOnly EffectiveFrom(DateOnly noticeDate) => noticeDate.AddDays(1);
}
