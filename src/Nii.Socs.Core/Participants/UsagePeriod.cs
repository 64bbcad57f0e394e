using System.Globalization;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Participants;

/// <summary>A participant's usage period (R11): from the approval date to a fiscal year's last day, both inclusive.</summary>
/// <param name="First">The first day of use: the approval date (R11.1).</param>
/// <param name="Last">The last day of use: 31 March of a fiscal year.</param>
/// <remarks>
/// R11.1: from the approval date to the end of that fiscal year. R11.2: extended automatically to
/// the end of the next fiscal year when the participant did not ask to end and the organization
/// finds continuation appropriate; each such extension is one renewal.
/// <para>Edge case: approved 2027-03-31 → 2027-03-31..2027-03-31, one day, then renewed to 2028-03-31.</para>
/// </remarks>
internal readonly record struct UsagePeriod(DateOnly First, DateOnly Last)
{
    /// <summary>The period after approval on a date and a number of automatic renewals.</summary>
    /// <param name="approvedOn">The approval date.</param>
    /// <param name="renewals">How many automatic extensions (R11.2) followed; 0 or more.</param>
    /// <returns>The period.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="renewals"/> is negative or above 1000.</exception>
    public static UsagePeriod FromApproval(DateOnly approvedOn, int renewals = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(renewals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(renewals, 1000);
        return new UsagePeriod(approvedOn, FiscalYear.Of(approvedOn).Plus(renewals).LastDay);
    }

    /// <summary>Whether a date is within the period.</summary>
    /// <param name="date">The date.</param>
    /// <returns>True from <see cref="First"/> to <see cref="Last"/> inclusive.</returns>
    public bool Contains(DateOnly date) => date >= First && date <= Last;

    /// <summary>The period as <c>first..last</c>, e.g. <c>2026-05-10..2027-03-31</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{First:yyyy-MM-dd}..{Last:yyyy-MM-dd}");
}
