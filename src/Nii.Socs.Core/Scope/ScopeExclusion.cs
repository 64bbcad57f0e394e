using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Scope;

/// <summary>A temporary exclusion of monitored prefixes under load (R5.2): a coverage gap shown to the participant.</summary>
/// <param name="Participant">The participant whose prefixes were excluded.</param>
/// <param name="Prefixes">The excluded prefixes; never empty.</param>
/// <param name="From">The instant the exclusion began (UTC).</param>
/// <param name="To">The instant monitoring resumed; null while the exclusion is still in force.</param>
/// <param name="Reason">Why the prefixes were excluded, in words an operator and a participant understand.</param>
/// <remarks>
/// R5.2 (interpretation): every exclusion is recorded with its prefixes, start, end and reason.
/// The range is half-open: traffic at <paramref name="To"/> is monitored again. An exclusion that
/// began at 2026-11-30T20:00:00Z and ended at 20:00:05Z is a five-second gap for that participant.
/// </remarks>
public sealed record ScopeExclusion(
    ParticipantId Participant,
    IReadOnlyList<IPPrefix> Prefixes,
    DateTimeOffset From,
    DateTimeOffset? To,
    string Reason)
{
    /// <summary>Whether the exclusion is still in force.</summary>
    public bool IsOpen => To is null;

    /// <summary>The exclusion as one line, such as <c>u-tokyo 192.0.2.0/24 2026-11-30T20:00:00Z..open (queue above high-water mark)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"{Participant} {string.Join(',', Prefixes)} {From:O}..{(To is { } to ? to.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "open")} ({Reason})";
}
