using System.Globalization;

namespace Nii.Socs.Core.Time;

/// <summary>A Japanese fiscal year (年度): 1 April to 31 March, named by the year it starts in (R11).</summary>
/// <param name="StartYear">The calendar year in which the fiscal year begins.</param>
public readonly record struct FiscalYear(int StartYear)
{
    /// <summary>The fiscal year that contains a date.</summary>
    /// <param name="date">The date.</param>
    /// <returns>FY N when the date is from 1 April N to 31 March N+1.</returns>
    public static FiscalYear Of(DateOnly date) => new(date.Month >= 4 ? date.Year : date.Year - 1);

    /// <summary>The first day, 1 April.</summary>
    public DateOnly FirstDay => new(StartYear, 4, 1);

    /// <summary>The last day, 31 March of the next calendar year.</summary>
    public DateOnly LastDay => new(StartYear + 1, 3, 31);

    /// <summary>The fiscal year <paramref name="years"/> later.</summary>
    /// <param name="years">How many years to move.</param>
    /// <returns>The new fiscal year.</returns>
    public FiscalYear Plus(int years) => new(checked(StartYear + years));

    /// <summary>The fiscal year as <c>FY2026</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"FY{StartYear}");
}
