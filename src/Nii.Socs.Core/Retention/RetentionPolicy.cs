using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Retention;

/// <summary>How long detection information is kept (R7.3): whole JST months counted from the month after acquisition.</summary>
/// <remarks>
/// R7.3: detection information is kept at most <see cref="Months"/> months counted from the first
/// day of the month after it was acquired, then deleted. A record acquired at any moment of JST
/// month M is gone from 00:00 JST on the first day of month M + 1 + <see cref="Months"/>.
/// <para>Edge case: acquired 2026-11-30T20:00:00Z, already December in JST → gone from
/// 2027-04-01T00:00:00+09:00 under the default of 3 months.</para>
/// </remarks>
public sealed record RetentionPolicy
{
    /// <summary>The most months a participant agreement may set (10 years).</summary>
    public const int MaxMonths = 120;

    /// <summary>The regulation's default: 3 months (R7.3).</summary>
    public static readonly RetentionPolicy Default = new(3);

    /// <summary>Creates a policy.</summary>
    /// <param name="months">Whole months kept after the acquisition month, 0 to <see cref="MaxMonths"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="months"/> is out of range.</exception>
    public RetentionPolicy(int months)
    {
        if (months is < 0 or > MaxMonths)
        {
            throw new ArgumentOutOfRangeException(nameof(months), months, $"months must be between 0 and {MaxMonths}; got {months}.");
        }

        Months = months;
    }

    /// <summary>Whole months kept, counted from the first day of the month after acquisition.</summary>
    /// <value>The default is 3 (R7.3).</value>
    public int Months { get; }

    /// <summary>The first JST month in which records acquired in <paramref name="acquired"/> no longer exist.</summary>
    /// <param name="acquired">The JST acquisition month.</param>
    /// <returns>Month M + 1 + <see cref="Months"/>.</returns>
    public JstMonth ExpiryMonthOf(JstMonth acquired) => acquired.Plus(1 + Months);

    /// <summary>The instant from which a record acquired at <paramref name="acquiredAt"/> must be gone.</summary>
    /// <param name="acquiredAt">When the record was acquired.</param>
    /// <returns>00:00 JST on the first day of the expiry month, with a +09:00 offset.</returns>
    public DateTimeOffset ExpiryOf(DateTimeOffset acquiredAt) => ExpiryMonthOf(JstMonth.Of(acquiredAt)).Start;

    /// <summary>The instant from which a whole partition (one JST month) must be gone.</summary>
    /// <param name="acquired">The partition's acquisition month.</param>
    /// <returns>00:00 JST on the first day of the expiry month.</returns>
    public DateTimeOffset ExpiryOf(JstMonth acquired) => ExpiryMonthOf(acquired).Start;

    /// <summary>Whether records acquired in a month must be gone at an instant.</summary>
    /// <param name="acquired">The acquisition month.</param>
    /// <param name="now">The instant of the decision.</param>
    /// <returns>True from the expiry instant on.</returns>
    public bool IsExpired(JstMonth acquired, DateTimeOffset now) => now >= ExpiryOf(acquired);

    /// <inheritdoc />
    public override string ToString() => $"{Months} month(s) after the acquisition month (R7.3)";
}
