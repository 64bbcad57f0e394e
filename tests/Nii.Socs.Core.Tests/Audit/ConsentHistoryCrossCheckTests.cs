using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Audit;

public sealed class ConsentHistoryCrossCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
    private static readonly ParticipantId P = new("u-tokyo");

    private static OperationEntry Entry(long sequence, string action, string subject, string details = "") =>
        OperationEntry.Create(sequence, T0, "org:yamada", action, subject, details, OperationEntry.GenesisHash);

    [Fact]
    [Trait("Requirement", "R6.4")]
    public void R6_4_each_consent_event_and_history_entry_is_paired_and_each_orphan_named()
    {
        var request = new DecryptionRequest(new RequestId(Guid.CreateVersion7(T0)), Actor.Staff("yamada"), P, new ConsentScope.TimeRange(T0, T0.AddHours(1)), Purpose.Investigation, "why", T0, T0.AddDays(1));
        var grant = new GrantId(Guid.CreateVersion7(T0));
        var record = DetectionId.New(T0);
        var check = new ConsentHistoryCrossCheck();
        check.Add(new ConsentEvent.Requested(request));
        check.Add(new ConsentEvent.Approved(request.Id, Actor.Operator(P, "sato"), grant, [], T0.AddHours(2), T0));
        check.Add(new ConsentEvent.Viewed(grant, Actor.Staff("yamada"), record, T0));
        check.Add(new ConsentEvent.Viewed(grant, Actor.Staff("yamada"), record, T0));
        check.Add(new ConsentEvent.Revoked(grant, Actor.Operator(P, "sato"), T0));
        check.Add(Entry(1, "consent.request.filed", $"consent/{request.Id}"));
        check.Add(Entry(2, "consent.approved", $"consent/{request.Id}", $"grant={grant}"));
        check.Add(Entry(3, "consent.viewed", $"detections/{P}/{record}", $"grant={grant}"));
        check.Add(Entry(4, "portal.login", "portal/u-tokyo/login"));
        check.Add(Entry(5, "consent.fault-access", $"detections/{P}/{record}", "incident=INC-1 reason=x"));
        check.Add(Entry(6, "consent.fault-access.notice", $"participant/{P}", "record=x"));

        var unpaired = check.Unpaired();
        Assert.Equal(3, unpaired.Count);
        // The second view and the revocation have no history entry; the fault access has no consent event.
        Assert.Null(unpaired[0].HistoryEntry);
        Assert.Contains($"record {record} viewed", unpaired[0].Description, StringComparison.Ordinal);
        Assert.EndsWith("has no history entry", unpaired[0].Description, StringComparison.Ordinal);
        Assert.Contains($"grant {grant} revoked", unpaired[1].Description, StringComparison.Ordinal);
        Assert.Equal(5, unpaired[2].HistoryEntry);
        Assert.EndsWith("has no consent event", unpaired[2].Description, StringComparison.Ordinal);
    }
}
