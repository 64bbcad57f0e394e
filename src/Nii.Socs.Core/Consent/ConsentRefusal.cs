namespace Nii.Socs.Core.Consent;

/// <summary>What kind of "no" a consent action got: callers branch on it (and localise it) instead of parsing text.</summary>
/// <remarks>Each code comes with the requirement that decides it (<see cref="ConsentRefusal.Requirement"/>).</remarks>
public enum ConsentRefusalCode
{
    /// <summary>No request has that id (R8.5).</summary>
    UnknownRequest = 1,

    /// <summary>No grant has that id (R8.6).</summary>
    UnknownGrant = 2,

    /// <summary>A request or grant with that id exists already (R8.5).</summary>
    AlreadyExists = 3,

    /// <summary>The actor may not do this: another participant's operator, a non-grantee viewer, a non-staff fault access (R8.6, R7.2).</summary>
    NotPermitted = 4,

    /// <summary>A required free text (purpose, reason, incident) is missing (R8.5, R7.2).</summary>
    MissingText = 5,

    /// <summary>A free text or record list is larger than <see cref="ConsentLimits"/> accepts (R6.4).</summary>
    TooLarge = 6,

    /// <summary>The scope names no record, or its time range is empty (R8.5).</summary>
    InvalidScope = 7,

    /// <summary>A deadline or grant expiry is not after the moment of the action (R8.5, R8.6).</summary>
    InvalidTime = 8,

    /// <summary>The request has been decided or has expired and cannot be decided again (R8.6).</summary>
    NotPending = 9,

    /// <summary>A presented key does not match its epoch's stored commitment; the refusal is recorded (R8.6).</summary>
    KeyMismatch = 10,

    /// <summary>The keys of some epochs the request needs were not presented (R8.6).</summary>
    KeysMissing = 11,

    /// <summary>The grant has expired or was revoked (R8.6).</summary>
    GrantNotLive = 12,

    /// <summary>The record is outside the grant's scope (R8.6).</summary>
    OutsideGrant = 13,

    /// <summary>The key of the record's epoch is no longer held for the grant (R8.6).</summary>
    KeyNotHeld = 14,

    /// <summary>The record is not stored: never, or deleted by retention (R7.3).</summary>
    RecordNotStored = 15,

    /// <summary>The epoch's key was destroyed at the epoch's end: only the participant can open the record (R8.4).</summary>
    KeyDestroyed = 16,

    /// <summary>The sealed content did not open (changed, or sealed for another record) (R7.1).</summary>
    NotAuthentic = 17,
}

/// <summary>Why a consent action was refused: a code to branch on, the requirement that decides it and a message in English.</summary>
/// <param name="Code">The kind of refusal.</param>
/// <param name="Requirement">The requirement id, such as <c>R8.6</c>.</param>
/// <param name="Message">The refusal in words, naming the ids involved.</param>
public sealed record ConsentRefusal(ConsentRefusalCode Code, string Requirement, string Message)
{
    /// <summary>The message.</summary>
    /// <returns><see cref="Message"/>.</returns>
    public override string ToString() => Message;

    internal static ConsentRefusal? TooLong(string what, string? text, string requirement) =>
        ConsentLimits.TextTooLong(what, text) is { } message ? new(ConsentRefusalCode.TooLarge, requirement, message) : null;
}
