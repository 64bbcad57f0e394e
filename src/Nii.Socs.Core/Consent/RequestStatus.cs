namespace Nii.Socs.Core.Consent;

/// <summary>Where a decryption request stands.</summary>
internal enum RequestStatus
{
    /// <summary>Filed, awaiting the participant's decision.</summary>
    Pending = 0,

    /// <summary>Approved: a grant exists.</summary>
    Approved = 1,

    /// <summary>Denied with a reason.</summary>
    Denied = 2,

    /// <summary>The deadline passed without a decision.</summary>
    Expired = 3,
}
