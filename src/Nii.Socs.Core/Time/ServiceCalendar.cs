namespace Nii.Socs.Core.Time;

/// <summary>Working days and service hours of NII-SOCS staff (R10.1, R10.2).</summary>
/// <remarks>
/// R10: advanced investigation and procedures are served 09:00–17:00 JST on working days: not
/// Saturdays or Sundays, not national holidays (<see cref="JapaneseHolidays"/>), not the year-end
/// closure 29 Dec – 3 Jan, and not any extra closure day the organization sets.
/// <para>Edge case: 2026-12-28T16:30+09:00 is in service hours; the next window after it is
/// 2027-01-04 09:00–17:00, because 29 Dec – 3 Jan are closed.</para>
/// </remarks>
public sealed class ServiceCalendar
{
    private readonly HashSet<DateOnly> _extraClosures;

    /// <summary>The calendar of the regulation: 09:00–17:00 JST, year-end closure, no extra closures.</summary>
    public static readonly ServiceCalendar Default = new(new TimeOnly(9, 0), new TimeOnly(17, 0), []);

    /// <summary>Creates a calendar.</summary>
    /// <param name="opens">The opening time (JST).</param>
    /// <param name="closes">The closing time (JST); after <paramref name="opens"/>.</param>
    /// <param name="extraClosures">Further closed dates set by the organization.</param>
    /// <exception cref="ArgumentException"><paramref name="closes"/> is not after <paramref name="opens"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="extraClosures"/> is null.</exception>
    public ServiceCalendar(TimeOnly opens, TimeOnly closes, IEnumerable<DateOnly> extraClosures)
    {
        ArgumentNullException.ThrowIfNull(extraClosures);
        if (closes <= opens)
        {
            throw new ArgumentException($"Service hours must close after they open; got {opens:HH\\:mm}–{closes:HH\\:mm}.", nameof(closes));
        }

        Opens = opens;
        Closes = closes;
        _extraClosures = [.. extraClosures];
    }

    /// <summary>The opening time in JST.</summary>
    /// <value>The default is 09:00 (R10).</value>
    public TimeOnly Opens { get; }

    /// <summary>The closing time in JST.</summary>
    /// <value>The default is 17:00 (R10).</value>
    public TimeOnly Closes { get; }

    /// <summary>The extra closure days set by the organization.</summary>
    public IReadOnlyCollection<DateOnly> ExtraClosures => _extraClosures;

    /// <summary>Whether a date is in the year-end closure, 29 Dec – 3 Jan.</summary>
    /// <param name="date">The date.</param>
    /// <returns>True from 29 December to 3 January inclusive.</returns>
    public static bool IsYearEndClosure(DateOnly date) =>
        (date.Month == 12 && date.Day >= 29) || (date.Month == 1 && date.Day <= 3);

    /// <summary>Whether a JST date is a working day.</summary>
    /// <param name="date">A date from 1955 to 2099.</param>
    /// <returns>False on weekends, holidays, the year-end closure and extra closure days.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The date is outside 1955–2099.</exception>
    public bool IsWorkingDay(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)
        && !IsYearEndClosure(date)
        && !_extraClosures.Contains(date)
        && !JapaneseHolidays.IsHoliday(date);

    /// <summary>Whether an instant is in service hours.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>True on a working day from <see cref="Opens"/> (inclusive) to <see cref="Closes"/> (exclusive), JST.</returns>
    public bool IsInServiceHours(DateTimeOffset instant)
    {
        var local = Jst.ToJst(instant);
        var date = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        return IsWorkingDay(date) && time >= Opens && time < Closes;
    }

    /// <summary>The window that contains an instant, or else the first one that starts after it.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The window, with +09:00 instants.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No window exists before the end of 2099.</exception>
    public ServiceWindow WindowAtOrAfter(DateTimeOffset instant)
    {
        var date = Jst.DateOf(instant);
        while (true)
        {
            if (IsWorkingDay(date))
            {
                var window = WindowOn(date);
                if (instant < window.End)
                {
                    return window;
                }
            }

            date = date.AddDays(1);
        }
    }

    /// <summary>The first window that starts strictly after an instant.</summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The window, with +09:00 instants.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No window exists before the end of 2099.</exception>
    public ServiceWindow NextWindowAfter(DateTimeOffset instant)
    {
        var window = WindowAtOrAfter(instant);
        return window.Start > instant ? window : WindowAtOrAfter(window.End);
    }

    /// <summary>The service time between two instants: the total length of their overlap with service windows.</summary>
    /// <param name="from">The start.</param>
    /// <param name="to">The end; not before <paramref name="from"/>.</param>
    /// <returns>The business-time duration, e.g. for time-to-decision figures (R13.1).</returns>
    /// <exception cref="ArgumentException"><paramref name="to"/> is before <paramref name="from"/>.</exception>
    public TimeSpan ServiceTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from)
        {
            throw new ArgumentException($"The end ({to:O}) is before the start ({from:O}).", nameof(to));
        }

        var total = TimeSpan.Zero;
        for (var date = Jst.DateOf(from); date <= Jst.DateOf(to); date = date.AddDays(1))
        {
            if (!IsWorkingDay(date))
            {
                continue;
            }

            var window = WindowOn(date);
            var start = window.Start > from ? window.Start : from;
            var end = window.End < to ? window.End : to;
            if (end > start)
            {
                total += end - start;
            }
        }

        return total;
    }

    private ServiceWindow WindowOn(DateOnly date) => new(Jst.At(date, Opens), Jst.At(date, Closes));
}
