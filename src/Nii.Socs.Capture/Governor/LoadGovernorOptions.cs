namespace Nii.Socs.Capture.Governor;

/// <summary>Settings of the load governor between reading and detection (R5.2).</summary>
/// <remarks>
/// R5.2: when the queue stays at or above <see cref="HighWaterMark"/> for <see cref="Sustain"/>,
/// the governor excludes the prefix with the highest traffic share, and another after each
/// further <see cref="Sustain"/>, until the queue is at or below <see cref="LowWaterMark"/>; then
/// every exclusion ends. Example with the defaults: a queue of 4,096 that holds ≥ 3,277 items for
/// one second loses its busiest prefix; it is back once the queue holds ≤ 2,048.
/// <para>Shedding applies to live capture only (<see cref="Readers.CaptureReader.IsLive"/>): a file is
/// never shed, whatever these settings say; its reader waits for detection.</para>
/// </remarks>
public sealed class LoadGovernorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Socs:Capture:Governor";

    /// <summary>The bounded queue's capacity in frames.</summary>
    /// <value>The default is 4,096 (R5.2).</value>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>The fraction of the capacity at or above which the queue is "high".</summary>
    /// <value>The default is 0.8 (R5.2).</value>
    public double HighWaterMark { get; set; } = 0.8;

    /// <summary>The fraction of the capacity at or below which exclusions end.</summary>
    /// <value>The default is 0.5 (R5.2).</value>
    public double LowWaterMark { get; set; } = 0.5;

    /// <summary>How long the queue must stay high before a prefix is excluded, and between two exclusions.</summary>
    /// <value>The default is one second (R5.2).</value>
    public TimeSpan Sustain { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether a live frame arriving at a full queue is dropped rather than waited for; files always wait.</summary>
    /// <value>The default is false: live capture waits too (the kernel buffer absorbs bursts). Every drop is counted (R5.2).</value>
    public bool DropWhenFull { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (QueueCapacity is < 2 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "QueueCapacity must be between 2 and 1,000,000.");
        }

        if (!(LowWaterMark >= 0 && LowWaterMark < HighWaterMark && HighWaterMark <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(HighWaterMark), HighWaterMark, $"Need 0 <= LowWaterMark < HighWaterMark <= 1; got {LowWaterMark} and {HighWaterMark}.");
        }

        if (Sustain < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Sustain), Sustain, "Sustain must not be negative.");
        }
    }
}
