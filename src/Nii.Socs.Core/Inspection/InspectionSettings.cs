using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Inspection;

/// <summary>What a yearly inspection checks against: the year, the graces it allows, the calendar (R13.1).</summary>
/// <remarks>
/// R13.1. The year is a calendar year counted in JST: 2026 is [2026-01-01T00:00+09:00, 2027-01-01T00:00+09:00).
/// (interp.) "Destroyed immediately" (R8.4) and "deleted promptly" (R7.3) are checked with a grace, because the
/// key ring rotates on its first use after a boundary and the sweeper runs periodically.
/// <para>Edge case: with the default one-hour destruction grace, a weekly key destroyed at Monday 00:59 JST
/// complies; at 01:01 it is a late destruction.</para>
/// </remarks>
internal sealed record InspectionSettings
{
    /// <summary>The default time allowed from an epoch's end to its key's destruction: one hour (R8.4, interp.).</summary>
    public static readonly TimeSpan DefaultDestructionGrace = TimeSpan.FromHours(1);

    /// <summary>The default time allowed from a partition's expiry to its deletion: one day (R7.3, interp.).</summary>
    public static readonly TimeSpan DefaultDeletionGrace = TimeSpan.FromDays(1);

    private readonly TimeSpan _destructionGrace = DefaultDestructionGrace;
    private readonly TimeSpan _deletionGrace = DefaultDeletionGrace;
    private readonly ServiceCalendar _calendar = ServiceCalendar.Default;
    private readonly RetentionPolicy _defaultRetention = RetentionPolicy.Default;
    private readonly EpochSchedule _schedule = EpochSchedule.WeeklyFromMondayJst;

    /// <summary>Settings for one year with the defaults.</summary>
    /// <param name="year">The calendar year (JST), 1955 to 2099.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="year"/> is outside 1955–2099.</exception>
    public InspectionSettings(int year)
    {
        if (year is < 1955 or > 2099)
        {
            throw new ArgumentOutOfRangeException(nameof(year), year, "The year must be between 1955 and 2099.");
        }

        Year = year;
    }

    /// <summary>The calendar year inspected (JST).</summary>
    public int Year { get; }

    /// <summary>The first instant of the year: 00:00 JST on 1 January.</summary>
    public DateTimeOffset From => Jst.At(new DateOnly(Year, 1, 1));

    /// <summary>The first instant after the year: 00:00 JST on 1 January of the next year.</summary>
    public DateTimeOffset Until => Jst.At(new DateOnly(Year + 1, 1, 1));

    /// <summary>The time allowed from an epoch's end to its key's destruction (R8.4).</summary>
    /// <value>The default is one hour.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan DestructionGrace
    {
        get => _destructionGrace;
        init => _destructionGrace = NotNegative(value);
    }

    /// <summary>The time allowed from a partition's expiry to its deletion (R7.3).</summary>
    /// <value>The default is one day.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan DeletionGrace
    {
        get => _deletionGrace;
        init => _deletionGrace = NotNegative(value);
    }

    /// <summary>The service calendar that times decisions (R10).</summary>
    /// <value>The default is <see cref="ServiceCalendar.Default"/> (09:00–17:00 JST on working days).</value>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public ServiceCalendar Calendar
    {
        get => _calendar;
        init => _calendar = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The retention policy without an agreement (R7.3).</summary>
    /// <value>The default is <see cref="RetentionPolicy.Default"/> (three months).</value>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public RetentionPolicy DefaultRetention
    {
        get => _defaultRetention;
        init => _defaultRetention = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The key epoch schedule, for the end of an epoch whose history entries do not state it (R8.3).</summary>
    /// <value>The default is <see cref="EpochSchedule.WeeklyFromMondayJst"/>.</value>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public EpochSchedule Schedule
    {
        get => _schedule;
        init => _schedule = value ?? throw new ArgumentNullException(nameof(value));
    }

    private static TimeSpan NotNegative(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, "A grace cannot be negative.");
}
