using System.Globalization;

namespace Nii.Socs.Core.Time;

/// <summary>A calendar month in Japan Standard Time, such as 2026-11.</summary>
/// <remarks>
/// Detections are partitioned by the JST month they were acquired in, and retention (R7.3) counts
/// whole JST months from the first day of the next one.
/// <para>Edge case: the UTC instant 2026-11-30T20:00:00Z falls in JST month 2026-12.</para>
/// </remarks>
public readonly record struct JstMonth : IComparable<JstMonth>
{
    /// <summary>Creates a month.</summary>
    /// <param name="year">The year, 1 to 9998.</param>
    /// <param name="month">The month, 1 to 12.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public JstMonth(int year, int month)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(year, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, 9998);
        ArgumentOutOfRangeException.ThrowIfLessThan(month, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(month, 12);
        Year = year;
        Month = month;
    }

    /// <summary>The year.</summary>
    public int Year { get; }

    /// <summary>The month of the year, 1 to 12.</summary>
    public int Month { get; }

    /// <summary>The JST month that contains an instant.</summary>
    /// <param name="instant">Any instant.</param>
    /// <returns>The month in Japan at that instant.</returns>
    public static JstMonth Of(DateTimeOffset instant)
    {
        var date = Jst.DateOf(instant);
        return new JstMonth(date.Year, date.Month);
    }

    /// <summary>The month <paramref name="months"/> later (or earlier when negative).</summary>
    /// <param name="months">How many months to move.</param>
    /// <returns>The new month.</returns>
    public JstMonth Plus(int months)
    {
        var index = checked((Year * 12) + (Month - 1) + months);
        return new JstMonth(index / 12, (index % 12) + 1);
    }

    /// <summary>The first day of the month.</summary>
    public DateOnly FirstDay => new(Year, Month, 1);

    /// <summary>The instant that opens the month: 00:00 JST on its first day.</summary>
    public DateTimeOffset Start => Jst.At(FirstDay);

    /// <summary>The number of months from <paramref name="other"/> to this month.</summary>
    /// <param name="other">The earlier month.</param>
    /// <returns>Positive when this month is later.</returns>
    public int MonthsSince(JstMonth other) => ((Year - other.Year) * 12) + (Month - other.Month);

    /// <inheritdoc />
    public int CompareTo(JstMonth other) => MonthsSince(other).CompareTo(0);

    /// <summary>Parses <c>yyyy-MM</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="month">The month, when the text is valid.</param>
    /// <returns>Whether the text is a month.</returns>
    public static bool TryParse(string? text, out JstMonth month)
    {
        month = default;
        if (text is null
            || !DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return false;
        }

        month = new JstMonth(day.Year, day.Month);
        return true;
    }

    /// <summary>Compares two months.</summary>
    /// <param name="left">The first month.</param>
    /// <param name="right">The second month.</param>
    /// <returns>Whether the first is earlier.</returns>
    public static bool operator <(JstMonth left, JstMonth right) => left.CompareTo(right) < 0;

    /// <summary>Compares two months.</summary>
    /// <param name="left">The first month.</param>
    /// <param name="right">The second month.</param>
    /// <returns>Whether the first is later.</returns>
    public static bool operator >(JstMonth left, JstMonth right) => left.CompareTo(right) > 0;

    /// <summary>Compares two months.</summary>
    /// <param name="left">The first month.</param>
    /// <param name="right">The second month.</param>
    /// <returns>Whether the first is not later.</returns>
    public static bool operator <=(JstMonth left, JstMonth right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two months.</summary>
    /// <param name="left">The first month.</param>
    /// <param name="right">The second month.</param>
    /// <returns>Whether the first is not earlier.</returns>
    public static bool operator >=(JstMonth left, JstMonth right) => left.CompareTo(right) >= 0;

    /// <summary>The month as <c>yyyy-MM</c>.</summary>
    /// <returns>For example <c>2026-11</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}
