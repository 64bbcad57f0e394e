namespace Nii.Socs.Core.Participants.Procedures;

/// <summary>A change of a participant's registered details (R3.1–R3.3), as filed: each list replaces the registered one; null leaves it as it is.</summary>
internal sealed record ParticipantChange
{
    /// <summary>The new monitored prefixes (R3.1); null to keep them.</summary>
    public IReadOnlyList<string>? Prefixes { get; init; }

    /// <summary>The new notification addresses (R3.2); null to keep them.</summary>
    public IReadOnlyList<string>? ContactMails { get; init; }

    /// <summary>The new portal operators (R3.3); null to keep them.</summary>
    public IReadOnlyList<OperatorContact>? Operators { get; init; }
}
