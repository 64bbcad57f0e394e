using Nii.Socs.Core.Retention;

namespace Nii.Socs.Core.Storage;

/// <summary>Copies of detection header data kept outside the detection store, such as the mail outbox and the stored
/// <c>.eml</c> files: they go when their partition goes (R7.3).</summary>
/// <remarks>A <see cref="RetentionSweeper"/> calls every one after it has deleted the expired partitions. An
/// implementation decides by the schedule, not by what the sweep just deleted, so a copy whose partition a crash
/// left behind earlier is still removed by the next sweep.</remarks>
internal interface IDerivedCopies
{
    /// <summary>Removes every copy of header data whose partition has expired at an instant.</summary>
    /// <param name="schedule">The retention schedule in force.</param>
    /// <param name="at">The instant the sweep decides for.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>One line for the operation history that names counts only (no header data); null when nothing was removed.</returns>
    Task<string?> PurgeAsync(RetentionSchedule schedule, DateTimeOffset at, CancellationToken cancellationToken);
}
