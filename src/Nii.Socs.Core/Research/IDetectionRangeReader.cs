using Nii.Socs.Core.Detections;

namespace Nii.Socs.Core.Research;

/// <summary>Reads the stored detections of a time range: what a research export consumes (R9.1).</summary>
/// <remarks>
/// The detection store (DESIGN §5) implements it. Records are returned in any order; the range is
/// half-open on <see cref="DetectionRecord.AcquiredAt"/>: <c>[start, until)</c>.
/// </remarks>
internal interface IDetectionRangeReader
{
    /// <summary>Streams the detections acquired in <c>[start, until)</c>.</summary>
    /// <param name="start">The inclusive start.</param>
    /// <param name="until">The exclusive end.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The records.</returns>
    IAsyncEnumerable<DetectionRecord> ReadRangeAsync(DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken);
}
