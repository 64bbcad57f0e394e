using System.Collections.Immutable;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Keys;

/// <summary>How instants map to key epochs (R8.2, R8.3): a period in whole days per participant, counted from a Monday 00:00 JST origin.</summary>
/// <remarks>
/// <para>R8.3 and the supplementary provision fix the period at one week; (interp.) it is configurable per
/// participant in whole days, default 7, with boundaries at 00:00 JST. Epoch 0 starts at
/// <see cref="Origin"/>, Monday 1970-01-05T00:00:00+09:00; epoch <c>n</c> starts <c>n × period</c> days later.
/// Instants before the origin get negative indexes (floor division).</para>
/// <para>Edge case: 2026-11-29T15:00:00Z is Monday 2026-11-30T00:00:00+09:00, so it is the first instant of a
/// new weekly epoch, while 2026-11-29T14:59:59.9999999Z still belongs to the previous one.</para>
/// <para>Pitfall: changing a participant's period renumbers its epochs from the origin. Epochs already
/// stored keep their own start and end (see <see cref="StartOf"/>) only while the period they were made
/// under is kept; change a period only at a boundary that both schedules share.</para>
/// </remarks>
internal sealed class EpochSchedule
{
    /// <summary>The largest period, in days (a little over ten years).</summary>
    public const int MaxPeriodDays = 3660;

    /// <summary>The default period: one week (R8.3, supplementary provision).</summary>
    public const int DefaultPeriodDays = 7;

    private readonly ImmutableDictionary<ParticipantId, int> _periods;

    /// <summary>Creates a schedule whose participants all have the same period.</summary>
    /// <param name="defaultPeriodDays">The period in whole days, 1 to <see cref="MaxPeriodDays"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="defaultPeriodDays"/> is outside 1 to <see cref="MaxPeriodDays"/>.</exception>
    /// <remarks>R8.3. Edge case: a period of 1 day gives a daily key, still starting at 00:00 JST.</remarks>
    public EpochSchedule(int defaultPeriodDays)
        : this(CheckPeriod(defaultPeriodDays, nameof(defaultPeriodDays)), ImmutableDictionary<ParticipantId, int>.Empty)
    {
    }

    private EpochSchedule(int defaultPeriodDays, ImmutableDictionary<ParticipantId, int> periods)
    {
        DefaultPeriod = defaultPeriodDays;
        _periods = periods;
    }

    /// <summary>The preset of the regulation: one week for everyone, boundaries at Monday 00:00 JST (R8.3).</summary>
    /// <value>A schedule with a 7-day default period and no per-participant override.</value>
    public static EpochSchedule WeeklyFromMondayJst { get; } = new(DefaultPeriodDays);

    /// <summary>The first instant of epoch 0: Monday 1970-01-05T00:00:00+09:00.</summary>
    /// <value>Always 1970-01-05T00:00:00+09:00 (1970-01-04T15:00:00Z).</value>
    public static DateTimeOffset Origin { get; } = Jst.At(new DateOnly(1970, 1, 5));

    /// <summary>The period, in days, of participants without their own.</summary>
    /// <value>The default is 7 (R8.3).</value>
    public int DefaultPeriod { get; }

    /// <summary>Returns a copy in which <paramref name="participant"/> has its own period.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="periodDays">Its period in whole days, 1 to <see cref="MaxPeriodDays"/>.</param>
    /// <returns>The new schedule; this one is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="periodDays"/> is outside 1 to <see cref="MaxPeriodDays"/>.</exception>
    /// <remarks>R8.3 (interp.): the period is set per participant after hearing it.</remarks>
    public EpochSchedule WithPeriod(ParticipantId participant, int periodDays) =>
        new(DefaultPeriod, _periods.SetItem(participant, CheckPeriod(periodDays, nameof(periodDays))));

    /// <summary>The period, in days, of one participant.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>Its own period, or <see cref="DefaultPeriod"/>.</returns>
    /// <remarks>R8.3.</remarks>
    public int PeriodOf(ParticipantId participant) => _periods.TryGetValue(participant, out var days) ? days : DefaultPeriod;

    /// <summary>The epoch that contains an instant for a participant.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="instant">Any instant; its offset is irrelevant.</param>
    /// <returns>The epoch whose half-open range <c>[start, end)</c> contains <paramref name="instant"/>.</returns>
    /// <remarks>R8.2. Edge case: Monday 2026-11-30T00:00:00+09:00 is epoch 2969 of a weekly schedule, the
    /// instant one tick earlier is epoch 2968.</remarks>
    public EpochId EpochOf(ParticipantId participant, DateTimeOffset instant)
    {
        var period = PeriodTicks(participant);
        var offset = (Int128)instant.UtcTicks - Origin.UtcTicks;
        var index = offset / period;
        if (offset % period < 0)
        {
            index--;
        }

        return new EpochId(participant, (long)index);
    }

    /// <summary>The first instant of an epoch.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>The start, in JST (+09:00).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The epoch starts outside the range of <see cref="DateTimeOffset"/>.</exception>
    /// <remarks>R8.2. Edge case: epoch 0 starts at 1970-01-05T00:00:00+09:00 whatever the period.</remarks>
    public DateTimeOffset StartOf(EpochId epoch) => InstantAt(epoch.Participant, epoch.Index);

    /// <summary>The first instant after an epoch: the start of the next one (half-open range).</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>The end, in JST (+09:00).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The epoch ends outside the range of <see cref="DateTimeOffset"/>.</exception>
    /// <remarks>R8.2. Edge case: a weekly epoch starting Monday 00:00 JST ends the next Monday 00:00 JST.</remarks>
    public DateTimeOffset EndOf(EpochId epoch)
    {
        if (epoch.Index == long.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The epoch has no successor.");
        }

        return InstantAt(epoch.Participant, epoch.Index + 1);
    }

    private DateTimeOffset InstantAt(ParticipantId participant, long index)
    {
        var ticks = (Int128)Origin.UtcTicks + ((Int128)index * PeriodTicks(participant));
        if (ticks < DateTimeOffset.MinValue.UtcTicks + Jst.Offset.Ticks || ticks > DateTimeOffset.MaxValue.UtcTicks - Jst.Offset.Ticks)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "The epoch lies outside the range of DateTimeOffset.");
        }

        return Jst.ToJst(new DateTimeOffset((long)ticks, TimeSpan.Zero));
    }

    private long PeriodTicks(ParticipantId participant) => PeriodOf(participant) * TimeSpan.TicksPerDay;

    private static int CheckPeriod(int days, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, MaxPeriodDays, name);
        return days;
    }
}
