using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Portal;

/// <summary>
/// What the portal needs from the consent service (R7.2, R8.5, R8.6): file, decide and revoke requests, and open a
/// record's content under a grant or a recorded fault access.
/// </summary>
/// <remarks>
/// The portal translates HTTP to these calls and nothing else: every rule lives in <see cref="ConsentLedger"/> and in
/// the implementation, which also writes each step to the operation history (R6.4). <see cref="ConsentServicePortalConsent"/>
/// implements it over the consent service of <c>Core/Storage/Consent</c> (its event log, key checks and custody).
/// <para>Edge case: a request whose deadline passed is <see cref="RequestStatus.Expired"/> and cannot be decided.</para>
/// </remarks>
internal interface IPortalConsent
{
    /// <summary>The current ledger: requests, decisions, grants, views and fault accesses.</summary>
    ConsentLedger Ledger { get; }

    /// <summary>Whether viewing under a grant can work now: it is live and its epoch keys are still held.</summary>
    /// <param name="grant">The grant.</param>
    /// <returns>False for an ended grant, or a live one whose keys were released.</returns>
    bool HoldsKeys(GrantId grant);

    /// <summary>Files a decryption request (R8.5); the service gives it its id and filing instant.</summary>
    /// <param name="requester">Who asks.</param>
    /// <param name="participant">Whose records.</param>
    /// <param name="scope">Which records.</param>
    /// <param name="purpose">Why.</param>
    /// <param name="purposeText">The purpose in words.</param>
    /// <param name="deadline">When it expires undecided.</param>
    /// <param name="cancellationToken">Cancels the wait for the history.</param>
    /// <returns>The request's id, or why not.</returns>
    Task<ConsentOutcome<RequestId>> RequestAsync(Actor requester, ParticipantId participant, ConsentScope scope, Purpose purpose, string purposeText, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>The epochs whose keys an approval must present (R8.6).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The epochs of the records in scope, oldest first; empty for an unknown request.</returns>
    Task<IReadOnlyList<EpochId>> RequiredEpochsAsync(RequestId request, CancellationToken cancellationToken);

    /// <summary>Approves a request by presenting the unwrapped keys (R8.6); each is checked against its commitment.</summary>
    /// <param name="request">The request.</param>
    /// <param name="decider">An operator of the request's participant.</param>
    /// <param name="keys">Key bytes per epoch; the caller zeroes them after the call.</param>
    /// <param name="grantExpiresAt">When the grant ends.</param>
    /// <param name="cancellationToken">Cancels the wait for the history.</param>
    /// <returns>The grant, or why not.</returns>
    Task<ConsentOutcome<GrantId>> ApproveAsync(RequestId request, Actor decider, IReadOnlyDictionary<EpochId, byte[]> keys, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken);

    /// <summary>Denies a request with a reason (R8.6).</summary>
    /// <param name="request">The request.</param>
    /// <param name="decider">An operator of the request's participant.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels the wait for the history.</param>
    /// <returns>Null when denied; otherwise why not.</returns>
    Task<string?> DenyAsync(RequestId request, Actor decider, string reason, CancellationToken cancellationToken);

    /// <summary>Revokes a live grant; its keys are forgotten at once (R8.6).</summary>
    /// <param name="grant">The grant.</param>
    /// <param name="revoker">An operator of the grant's participant.</param>
    /// <param name="cancellationToken">Cancels the wait for the history.</param>
    /// <returns>Null when revoked; otherwise why not.</returns>
    Task<string?> RevokeAsync(GrantId grant, Actor revoker, CancellationToken cancellationToken);

    /// <summary>Opens one record's content under a grant; the view is recorded before the content is returned (R8.6).</summary>
    /// <param name="grant">The grant.</param>
    /// <param name="viewer">The grantee.</param>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The plaintext content, or why not.</returns>
    Task<ConsentOutcome<byte[]>> ViewAsync(GrantId grant, Actor viewer, DetectionId record, CancellationToken cancellationToken);

    /// <summary>The organization's fault exception (R7.2): staff opens a record with a stated reason; recorded, the participant is told.</summary>
    /// <param name="participant">The record's participant.</param>
    /// <param name="record">The record.</param>
    /// <param name="staff">The staff member.</param>
    /// <param name="reason">Why the fault needs the content.</param>
    /// <param name="incident">The incident reference.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The plaintext content, or why not (only keys that still exist can be reached).</returns>
    Task<ConsentOutcome<byte[]>> FaultAccessAsync(ParticipantId participant, DetectionId record, Actor staff, string reason, string incident, CancellationToken cancellationToken);
}

/// <summary>A consent step's result: a value, or the reason it was refused.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value when <see cref="Error"/> is null.</param>
/// <param name="Error">Why the step was refused; null on success.</param>
internal readonly record struct ConsentOutcome<T>(T? Value, string? Error)
{
    /// <summary>Whether the step succeeded.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A success.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The outcome.</returns>
    public static ConsentOutcome<T> Ok(T value) => new(value, null);

    /// <summary>A refusal.</summary>
    /// <param name="error">Why.</param>
    /// <returns>The outcome.</returns>
    public static ConsentOutcome<T> Refused(string error) => new(default, error);
}
