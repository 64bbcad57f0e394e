namespace Nii.Socs.Core.Retention;

/// <summary>How the operation history is kept (R6.4): at least three months, and never deleted on a schedule.</summary>
/// <remarks>
/// R6.4 sets a floor and forbids time-based expiry, so this type has a minimum and nothing
/// else: there is deliberately no expiry instant, no "is expired" test and no purge to call. An
/// architecture test keeps it that way.
/// <para>Edge case: an entry written 2026-11-30 must still exist on 2027-03-01 and also on any later
/// date; only an explicit, recorded decision outside this library could ever remove it.</para>
/// </remarks>
internal static class HistoryRetention
{
    /// <summary>The fewest months every entry is kept (R6.4).</summary>
    public const int MinimumMonths = 3;

    /// <summary>The earliest instant at which R6.4 stops requiring an entry written at <paramref name="writtenAt"/>; not an expiry — nothing is deleted then.</summary>
    /// <param name="writtenAt">When the entry was written.</param>
    /// <returns><paramref name="writtenAt"/> plus <see cref="MinimumMonths"/> calendar months.</returns>
    public static DateTimeOffset RequiredAtLeastUntil(DateTimeOffset writtenAt) => writtenAt.AddMonths(MinimumMonths);
}
