namespace Nii.Socs.Core.Notifications;

/// <summary>What a mail is.</summary>
internal enum MailKind
{
    /// <summary>The first detection of a kind, mailed at once (R4.5).</summary>
    Notification = 0,

    /// <summary>The further detections of one participant collected over a window (R4.5).</summary>
    Digest = 1,

    /// <summary>Follow-up information from staff, threaded to the kind's first mail (R4.6).</summary>
    FollowUp = 2,

    /// <summary>A participant procedure (application, decision, change, termination, agreement, exclusion) told to the participant's contacts (R3.2).</summary>
    Procedure = 3,
}
