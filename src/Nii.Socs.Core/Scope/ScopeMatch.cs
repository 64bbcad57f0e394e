using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Scope;

/// <summary>The most specific registered prefix containing an address, and the participants that registered it (R5.1).</summary>
/// <remarks>
/// R5.1: when two participants register the same prefix, both are concerned; when one prefix lies
/// inside another (a university and one of its laboratories), only the longer one answers, as in
/// routing. <see cref="Index"/> is dense (0 … <see cref="ScopeIndex.Count"/> − 1), so callers can
/// keep per-prefix counters in plain arrays (the load governor does, R5.2).
/// </remarks>
public sealed class ScopeMatch
{
    internal ScopeMatch(int index, IPPrefix prefix, ParticipantId[] participants)
    {
        Index = index;
        Prefix = prefix;
        Participants = participants;
    }

    /// <summary>The dense index of this prefix in its <see cref="ScopeIndex"/>.</summary>
    public int Index { get; }

    /// <summary>The registered prefix.</summary>
    public IPPrefix Prefix { get; }

    /// <summary>The participants that registered exactly this prefix, in ordinal order; never empty.</summary>
    public IReadOnlyList<ParticipantId> Participants { get; }

    /// <summary>The prefix and its participants, such as <c>192.0.2.0/24 u-tokyo</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Prefix} {string.Join(',', Participants)}";
}
