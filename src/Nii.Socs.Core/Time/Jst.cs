namespace Nii.Socs.Core.Time;

/// <summary>Japan Standard Time: the one place that knows Japan's offset from UTC.</summary>
/// <remarks>
/// JST is UTC+9 with no daylight saving since 1951 (DESIGN §3), so a fixed offset is exact for
/// every instant this library handles (1955–2099). Months for retention (R7.3), key epochs (R8.3)
/// and service hours (R10) are all counted in JST.
/// <para>Edge case: 2026-11-30T20:00:00Z is already 2026-12-01T05:00:00+09:00 in JST.</para>
/// </remarks>
public static class Jst
{
    /// <summary>The offset of JST from UTC: exactly +09:00.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    /// <summary>Converts an instant to its JST wall-clock representation.</summary>
    /// <param name="instant">Any instant; its own offset is irrelevant.</param>
    /// <returns>The same instant expressed with a +09:00 offset.</returns>
    public static DateTimeOffset ToJst(DateTimeOffset instant) => instant.ToOffset(Offset);

    /// <summary>The JST calendar date of an instant.</summary>
    /// <param name="instant">Any instant.</param>
    /// <returns>The date in Japan at that instant.</returns>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(ToJst(instant).DateTime);

    /// <summary>The instant at which a JST date and time of day occur.</summary>
    /// <param name="date">The JST calendar date.</param>
    /// <param name="time">The JST wall-clock time; midnight when omitted.</param>
    /// <returns>The instant, with a +09:00 offset.</returns>
    public static DateTimeOffset At(DateOnly date, TimeOnly time = default) =>
        new(date.ToDateTime(time, DateTimeKind.Unspecified), Offset);
}
