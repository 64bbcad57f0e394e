using System.Globalization;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The capture files the capture-directory service set aside (<c>incoming/processed</c> and
/// <c>incoming/failed</c>): whole packets, header and content, of every participant. They go once the retention of
/// the month they were written in has ended for every participant (R7.3).</summary>
/// <remarks>
/// A file's month is the JST month of its last write, which is at or before its acquisition (a move keeps it), so a
/// file never outlives the records acquired from it. The shortest retention in force for that month among the
/// registered participants and the default decides, since a file mixes participants and R7.3 says "at most".
/// </remarks>
internal sealed class ProcessedCaptures(string incomingDirectory, Func<IEnumerable<ParticipantId>> participants) : IDerivedCopies
{
    public Task<string?> PurgeAsync(RetentionSchedule schedule, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var deleted = 0;
        foreach (var sub in new[] { "processed", "failed" })
        {
            var directory = Path.Combine(incomingDirectory, sub);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(directory))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var month = JstMonth.Of(new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero));
                var expiry = participants().Select(p => schedule.ExpiryOf(p, month)).Append(schedule.DefaultPolicy.ExpiryOf(month)).Min();
                if (at >= expiry)
                {
                    File.Delete(file);
                    deleted++;
                }
            }
        }

        return Task.FromResult(deleted == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"incoming: {deleted} processed or failed capture file(s) deleted"));
    }
}
