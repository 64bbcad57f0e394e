namespace Nii.Socs.Core.Participants;

/// <summary>A participant's status on a date.</summary>
internal enum ParticipantStatus
{
    /// <summary>Applied, not yet decided.</summary>
    Applied = 0,

    /// <summary>The application was refused (R12.2).</summary>
    Refused = 1,

    /// <summary>Approved and within its usage period (R11).</summary>
    Active = 2,

    /// <summary>The usage period ended without extension (R11.2).</summary>
    Expired = 3,

    /// <summary>Ended by a termination notice, from the day after its date (R12.1).</summary>
    Terminated = 4,

    /// <summary>The approval was revoked (R12.2).</summary>
    Revoked = 5,
}
