using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Consent;

/// <summary>One fact of the consent workflow (R7.2, R8.5, R8.6); the ledger is a fold of these.</summary>
internal abstract record ConsentEvent
{
    private protected ConsentEvent(DateTimeOffset at) => At = at;

    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; }

    /// <summary>A request was filed (R8.5).</summary>
    /// <param name="Request">The request.</param>
    public sealed record Requested(DecryptionRequest Request) : ConsentEvent(Request.RequestedAt);

    /// <summary>The participant's operator approved by presenting the epoch keys (R8.6); a grant was created.</summary>
    /// <param name="Request">The request.</param>
    /// <param name="Operator">The deciding operator.</param>
    /// <param name="Grant">The grant created.</param>
    /// <param name="Epochs">The epochs whose keys were presented and verified.</param>
    /// <param name="GrantExpiresAt">When the grant ends.</param>
    /// <param name="When">When it was approved.</param>
    public sealed record Approved(RequestId Request, Actor Operator, GrantId Grant, IReadOnlyList<EpochId> Epochs, DateTimeOffset GrantExpiresAt, DateTimeOffset When) : ConsentEvent(When);

    /// <summary>The participant's operator denied the request, with a reason.</summary>
    /// <param name="Request">The request.</param>
    /// <param name="Operator">The deciding operator.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="When">When.</param>
    public sealed record Denied(RequestId Request, Actor Operator, string Reason, DateTimeOffset When) : ConsentEvent(When);

    /// <summary>A presented key did not match its commitment and was refused (recorded, R8.6).</summary>
    /// <param name="Request">The request.</param>
    /// <param name="Operator">Who presented it.</param>
    /// <param name="Epoch">The epoch the key was presented for.</param>
    /// <param name="When">When.</param>
    public sealed record KeyRefused(RequestId Request, Actor Operator, EpochId Epoch, DateTimeOffset When) : ConsentEvent(When);

    /// <summary>The participant revoked a grant early.</summary>
    /// <param name="Grant">The grant.</param>
    /// <param name="Operator">Who revoked it.</param>
    /// <param name="When">When.</param>
    public sealed record Revoked(GrantId Grant, Actor Operator, DateTimeOffset When) : ConsentEvent(When);

    /// <summary>A record's content was opened under a grant; this recording is what the participant consented to (R8.6).</summary>
    /// <param name="Grant">The grant.</param>
    /// <param name="Viewer">Who viewed.</param>
    /// <param name="Record">The record opened.</param>
    /// <param name="When">When.</param>
    public sealed record Viewed(GrantId Grant, Actor Viewer, DetectionId Record, DateTimeOffset When) : ConsentEvent(When);

    /// <summary>Staff opened a record without consent to handle a fault of the service (R7.2 exception).</summary>
    /// <param name="Record">The record.</param>
    /// <param name="Participant">Whose record it is: this participant is told.</param>
    /// <param name="Staff">The staff member.</param>
    /// <param name="Reason">Why; required.</param>
    /// <param name="Incident">The incident reference; required.</param>
    /// <param name="When">When.</param>
    public sealed record FaultAccessed(DetectionId Record, ParticipantId Participant, Actor Staff, string Reason, string Incident, DateTimeOffset When) : ConsentEvent(When);
}
