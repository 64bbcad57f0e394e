namespace Nii.Socs.Core.Research;

/// <summary>How observation times are randomised in a research data set (R9.1): a secret shift, then an
/// optional coarsening to a bucket.</summary>
/// <remarks>
/// <para>R9.1: observation times are randomised so that participants are hard to identify.</para>
/// <para>What each part protects: the <b>shift</b> (one secret offset for the whole data set) hides the
/// absolute time, so a detection cannot be matched against a publicly known incident, an outage or a
/// participant's own logs; it keeps order and spacing, so rates, bursts and inter-arrival analysis still
/// work. The <b>unit</b> decides what survives the shift: 1 second (the default) keeps nothing of the
/// calendar; 7 days keeps weekday and time of day (useful for diurnal studies, but it also keeps what
/// a time-of-day fingerprint needs). The <b>bucket</b> floors every shifted time to a multiple of its
/// length counted from the Unix epoch: it hides fine timing (inter-packet gaps that fingerprint a
/// host or a scanner) at the cost of order within a bucket.</para>
/// <para>Worked example: shift −37 days 04:11:09, bucket 1 minute: 2026-11-30T20:00:07.25Z becomes
/// 2026-10-24T15:48:00Z, and every record of that minute gets the same time.</para>
/// </remarks>
internal sealed record TimeRandomization
{
    /// <summary>The default settings: shift within ±180 days in whole seconds, no bucket.</summary>
    public static TimeRandomization Default { get; } = new();

    /// <summary>The largest magnitude of the shift.</summary>
    /// <value>The default is 180 days. Must be positive and at most 100 years.</value>
    public TimeSpan MaxShift { get; init; } = TimeSpan.FromDays(180);

    /// <summary>The shift is a whole multiple of this unit.</summary>
    /// <value>The default is 1 second. Must be positive and at most <see cref="MaxShift"/>.</value>
    public TimeSpan ShiftUnit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The length shifted times are floored to; null keeps full precision.</summary>
    /// <value>The default is null (no coarsening). When set, must be positive and at most 1 day.</value>
    public TimeSpan? Bucket { get; init; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its documented range.</exception>
    /// <remarks>R9.1: an invalid setting would make the method undisclosable or unreproducible.</remarks>
    public void Validate()
    {
        if (MaxShift <= TimeSpan.Zero || MaxShift > TimeSpan.FromDays(36525))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxShift), MaxShift, "The maximum time shift must be positive and at most 100 years.");
        }

        if (ShiftUnit <= TimeSpan.Zero || ShiftUnit > MaxShift)
        {
            throw new ArgumentOutOfRangeException(nameof(ShiftUnit), ShiftUnit, "The shift unit must be positive and at most the maximum shift.");
        }

        if (Bucket is { } bucket && (bucket <= TimeSpan.Zero || bucket > TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(Bucket), bucket, "The bucket must be positive and at most one day.");
        }
    }
}
