namespace Nii.Socs.Core.Consent;

/// <summary>Why decryption is requested (R8.5); research purposes unlock malware export (R9.2).</summary>
public enum Purpose
{
    /// <summary>Investigation of an attack by the organization or the participant.</summary>
    Investigation = 0,

    /// <summary>Research data (R9.2): malware samples for analysis.</summary>
    Research = 1,

    /// <summary>The participant reviews its own traffic.</summary>
    OwnReview = 2,

    /// <summary>Another purpose, stated in the request's text.</summary>
    Other = 3,
}
