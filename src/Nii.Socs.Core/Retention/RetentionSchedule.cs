using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Retention;

/// <summary>The retention in force for every participant: a default policy plus per-participant agreements (R7.3).</summary>
/// <remarks>
/// R7.3. The expiry of a partition (participant, JST month) is the earliest expiry among the policies in force at any
/// instant of that month: a partition is deleted whole, and the regulation says "at most", so the shorter wins.
/// <para>Edge case: with the default of 3 months and no agreement, partition 2026-12 (which holds 2026-11-30T20:00Z)
/// expires at 2027-04-01T00:00+09:00.</para>
/// </remarks>
internal sealed class RetentionSchedule
{
    private readonly Dictionary<ParticipantId, List<RetentionAgreement>> _agreements = [];

    /// <summary>The schedule with the regulation's default (3 months) and no agreement.</summary>
    public static RetentionSchedule Default { get; } = new(RetentionPolicy.Default, []);

    /// <summary>Creates a schedule.</summary>
    /// <param name="defaultPolicy">The policy without an agreement.</param>
    /// <param name="agreements">Agreements; several per participant apply from their dates.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public RetentionSchedule(RetentionPolicy defaultPolicy, IEnumerable<RetentionAgreement> agreements)
    {
        ArgumentNullException.ThrowIfNull(defaultPolicy);
        ArgumentNullException.ThrowIfNull(agreements);
        DefaultPolicy = defaultPolicy;
        foreach (var agreement in agreements)
        {
            if (!_agreements.TryGetValue(agreement.Participant, out var list))
            {
                list = [];
                _agreements.Add(agreement.Participant, list);
            }

            list.Add(agreement);
        }

        foreach (var list in _agreements.Values)
        {
            // Stable: of two agreements from the same date, the later in the list wins.
            var sorted = list.Select((a, i) => (a, i)).OrderBy(x => x.a.EffectiveFrom).ThenBy(x => x.i).Select(x => x.a).ToList();
            list.Clear();
            list.AddRange(sorted);
        }
    }

    /// <summary>The policy without an agreement.</summary>
    /// <value>The default is <see cref="RetentionPolicy.Default"/> (3 months, R7.3).</value>
    public RetentionPolicy DefaultPolicy { get; }

    /// <summary>The policy in force for a participant at an instant of acquisition.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="acquiredAt">The acquisition instant.</param>
    /// <returns>The latest agreement effective at that instant, or the default.</returns>
    public RetentionPolicy PolicyAt(ParticipantId participant, DateTimeOffset acquiredAt)
    {
        var policy = DefaultPolicy;
        if (_agreements.TryGetValue(participant, out var list))
        {
            foreach (var agreement in list)
            {
                if (agreement.EffectiveAt <= acquiredAt)
                {
                    policy = agreement.Policy;
                }
            }
        }

        return policy;
    }

    /// <summary>The instant from which a partition must be gone.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The JST acquisition month.</param>
    /// <returns>The earliest expiry among the policies in force during the month.</returns>
    /// <remarks>R7.3. Edge case: an agreement of 0 months effective mid-November makes the November partition expire
    /// 2026-12-01T00:00+09:00.</remarks>
    public DateTimeOffset ExpiryOf(ParticipantId participant, JstMonth month)
    {
        var start = month.Start;
        var end = month.Plus(1).Start;
        var months = PolicyAt(participant, start).Months;
        if (_agreements.TryGetValue(participant, out var list))
        {
            foreach (var agreement in list)
            {
                if (agreement.EffectiveAt > start && agreement.EffectiveAt < end)
                {
                    months = Math.Min(months, agreement.Policy.Months);
                }
            }
        }

        return new RetentionPolicy(months).ExpiryOf(month);
    }

    /// <summary>Whether a partition must be gone at an instant.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The JST acquisition month.</param>
    /// <param name="now">The instant of the decision.</param>
    /// <returns>True from the expiry on; never for a month that has not ended.</returns>
    public bool IsExpired(ParticipantId participant, JstMonth month, DateTimeOffset now) => now >= ExpiryOf(participant, month);
}
