using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;

namespace Nii.Socs.Host.Portal;

/// <summary>The portal's consent steps on the consent service (R7.2, R8.5, R8.6): a translation, no rule of its own.</summary>
/// <remarks>
/// The service checks presented keys against their commitments, keeps them only while the grant lives, records every
/// step in its event log and in the operation history, and opens content only under a covering grant or a recorded
/// fault access. This adapter adds one check the portal needs: a fault access names the participant the staff member
/// chose, and a record of another participant is "not stored" for it.
/// <para>Edge case: the required epochs of an unknown request are empty rather than an exception, so a probe of an id
/// gets the same answer as a request without stored records.</para>
/// </remarks>
internal sealed class ConsentServicePortalConsent : IPortalConsent
{
    private readonly ConsentService _service;
    private readonly IDetectionStore _detections;

    /// <summary>Wraps a consent service.</summary>
    /// <param name="service">The service.</param>
    /// <param name="detections">The store the service reads (for the fault-access participant check).</param>
    public ConsentServicePortalConsent(ConsentService service, IDetectionStore detections)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(detections);
        _service = service;
        _detections = detections;
    }

    /// <inheritdoc />
    public ConsentLedger Ledger => _service.Ledger;

    /// <inheritdoc />
    public bool HoldsKeys(GrantId grant) => _service.HoldsKeys(grant);

    /// <inheritdoc />
    public async Task<ConsentOutcome<RequestId>> RequestAsync(Actor requester, ParticipantId participant, ConsentScope scope, Purpose purpose, string purposeText, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var result = await _service.RequestAsync(requester, participant, scope, purpose, purposeText, deadline, cancellationToken);
        return result.Succeeded ? ConsentOutcome<RequestId>.Ok(result.Value.Id) : ConsentOutcome<RequestId>.Refused(result.Refusal.Message);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EpochId>> RequiredEpochsAsync(RequestId request, CancellationToken cancellationToken) =>
        Ledger.TryGetRequest(request, out _) ? _service.RequiredEpochsAsync(request, cancellationToken) : Task.FromResult<IReadOnlyList<EpochId>>([]);

    /// <inheritdoc />
    public async Task<ConsentOutcome<GrantId>> ApproveAsync(RequestId request, Actor decider, IReadOnlyDictionary<EpochId, byte[]> keys, DateTimeOffset grantExpiresAt, CancellationToken cancellationToken)
    {
        var result = await _service.ApproveAsync(request, decider, keys, grantExpiresAt, cancellationToken);
        return result.Succeeded ? ConsentOutcome<GrantId>.Ok(result.Value.Id) : ConsentOutcome<GrantId>.Refused(result.Refusal.Message);
    }

    /// <inheritdoc />
    public async Task<string?> DenyAsync(RequestId request, Actor decider, string reason, CancellationToken cancellationToken) =>
        (await _service.DenyAsync(request, decider, reason, cancellationToken)).Refusal?.Message;

    /// <inheritdoc />
    public async Task<string?> RevokeAsync(GrantId grant, Actor revoker, CancellationToken cancellationToken) =>
        (await _service.RevokeAsync(grant, revoker, cancellationToken)).Refusal?.Message;

    /// <inheritdoc />
    public async Task<ConsentOutcome<byte[]>> ViewAsync(GrantId grant, Actor viewer, DetectionId record, CancellationToken cancellationToken)
    {
        var result = await _service.ViewAsync(grant, viewer, record, cancellationToken);
        return result.Succeeded ? ConsentOutcome<byte[]>.Ok(result.Value) : ConsentOutcome<byte[]>.Refused(result.Refusal.Message);
    }

    /// <inheritdoc />
    public async Task<ConsentOutcome<byte[]>> FaultAccessAsync(ParticipantId participant, DetectionId record, Actor staff, string reason, string incident, CancellationToken cancellationToken)
    {
        if (await _detections.FindAsync(participant, record, cancellationToken) is null)
        {
            return ConsentOutcome<byte[]>.Refused($"record {record} of {participant} is not stored");
        }

        var result = await _service.FaultAccessAsync(record, staff, reason, incident, cancellationToken);
        return result.Succeeded ? ConsentOutcome<byte[]>.Ok(result.Value) : ConsentOutcome<byte[]>.Refused(result.Refusal.Message);
    }
}
