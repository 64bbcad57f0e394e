using System.Collections.Immutable;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Notifications;

/// <summary>The organization's importance policy (R4.5): default thresholds and per-participant overrides.</summary>
/// <remarks>
/// R4.5: the policy belongs to the organization, not to the participant; an override replaces the default thresholds
/// for one participant as a whole (it does not merge lists).
/// <para>Edge case: a participant overridden with <c>MaxPriority = 3</c> and empty lists gets priority-3 detections
/// mailed, but no longer the default's important classtypes at priority 4 or lower.</para>
/// </remarks>
internal sealed record ImportancePolicy
{
    /// <summary>The default policy: <see cref="ImportanceThresholds.Default"/> for every participant.</summary>
    public static readonly ImportancePolicy Default = new(ImportanceThresholds.Default, ImmutableDictionary<ParticipantId, ImportanceThresholds>.Empty);

    /// <summary>Creates a policy.</summary>
    /// <param name="defaults">The thresholds for participants without an override.</param>
    /// <param name="overrides">Thresholds per participant.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ImportancePolicy(ImportanceThresholds defaults, IReadOnlyDictionary<ParticipantId, ImportanceThresholds> overrides)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(overrides);
        Defaults = defaults;
        Overrides = overrides.ToImmutableDictionary();
    }

    /// <summary>The thresholds for participants without an override.</summary>
    /// <value>The default is <see cref="ImportanceThresholds.Default"/> (R4.5).</value>
    public ImportanceThresholds Defaults { get; }

    /// <summary>Thresholds that replace <see cref="Defaults"/> for one participant.</summary>
    /// <value>The default is none.</value>
    public ImmutableDictionary<ParticipantId, ImportanceThresholds> Overrides { get; }

    /// <summary>The thresholds that apply to a participant.</summary>
    /// <param name="participant">The participant.</param>
    /// <returns>Its override, or <see cref="Defaults"/>.</returns>
    public ImportanceThresholds ThresholdsFor(ParticipantId participant) =>
        Overrides.TryGetValue(participant, out var thresholds) ? thresholds : Defaults;

    /// <summary>Whether a detection is to be mailed to its participant (R4.5).</summary>
    /// <param name="detection">The detection.</param>
    /// <returns>True when important under the participant's thresholds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="detection"/> is null.</exception>
    public bool IsImportant(DetectionRecord detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        return ThresholdsFor(detection.Participant).IsImportant(detection.Rule);
    }
}
