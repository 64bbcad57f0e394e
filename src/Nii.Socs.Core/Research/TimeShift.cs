namespace Nii.Socs.Core.Research;

/// <summary>Applies one data set's time randomisation: a fixed secret shift, then an optional bucket (R9.1).</summary>
/// <remarks>
/// R9.1. Without a bucket, <c>Apply(t2) − Apply(t1) = t2 − t1</c> for every pair, so order and spacing
/// are kept exactly; with a bucket, order is kept but ties appear. Results are UTC.
/// Edge case: a shifted time before 0001-01-01 or after 9999-12-31 cannot be written and is refused.
/// </remarks>
internal sealed class TimeShift
{
    /// <summary>Creates the transform.</summary>
    /// <param name="shift">The secret shift (from <see cref="ResearchSecret.DeriveTimeShift"/>).</param>
    /// <param name="bucket">The bucket length, or null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bucket"/> is not positive.</exception>
    public TimeShift(TimeSpan shift, TimeSpan? bucket)
    {
        if (bucket is { } b && b <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), b, "The bucket must be positive.");
        }

        Shift = shift;
        Bucket = bucket;
    }

    /// <summary>The shift added to every time.</summary>
    /// <remarks><b>Security:</b> secret; never written into a data set or manifest.</remarks>
    public TimeSpan Shift { get; }

    /// <summary>The bucket length; null when times keep full precision.</summary>
    public TimeSpan? Bucket { get; }

    /// <summary>Randomises one observation time.</summary>
    /// <param name="observedAt">The real time.</param>
    /// <returns>The shifted (and floored) time, with offset zero.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The shifted time is outside the representable range.</exception>
    /// <remarks>R9.1. With a 1-minute bucket, 12:00:59.9 and 12:00:00.0 map to the same instant.</remarks>
    public DateTimeOffset Apply(DateTimeOffset observedAt)
    {
        var ticks = observedAt.UtcTicks + Shift.Ticks;
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(observedAt), observedAt, "The shifted time is outside the range of DateTimeOffset.");
        }

        if (Bucket is { } bucket)
        {
            var sinceEpoch = ticks - DateTimeOffset.UnixEpoch.UtcTicks;
            var floored = sinceEpoch - (((sinceEpoch % bucket.Ticks) + bucket.Ticks) % bucket.Ticks);
            ticks = floored + DateTimeOffset.UnixEpoch.UtcTicks;
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }
}
