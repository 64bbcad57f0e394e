using System.Net;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Storage.Consent;

public class ConsentStoreTests
{
    private static readonly ParticipantId s_p = new("u-a");
    private static readonly DateTimeOffset s_t = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> EventKinds => [.. Enumerable.Range(0, Events().Length)];

    private static ConsentEvent[] Events()
    {
        var request = new RequestId(Guid.NewGuid());
        var grant = new GrantId(Guid.NewGuid());
        var op = Actor.Operator(s_p, "sato");
        return
        [
            new ConsentEvent.Requested(new DecryptionRequest(request, Actor.Staff("yamada"), s_p, new ConsentScope.TimeRange(s_t, s_t.AddDays(1), 2001, IPAddress.Parse("2001:db8::1")), Purpose.Research, "malware study", s_t, s_t.AddDays(3))),
            new ConsentEvent.Requested(new DecryptionRequest(request, op, s_p, new ConsentScope.RecordList([DetectionId.New(s_t), DetectionId.New(s_t)]), Purpose.OwnReview, "own", s_t, s_t.AddDays(3))),
            new ConsentEvent.Approved(request, op, grant, [new EpochId(s_p, 2921), new EpochId(s_p, 2922)], s_t.AddHours(5), s_t.AddHours(1)),
            new ConsentEvent.Denied(request, op, "not needed", s_t),
            new ConsentEvent.KeyRefused(request, op, new EpochId(s_p, 7), s_t),
            new ConsentEvent.Revoked(grant, op, s_t),
            new ConsentEvent.Viewed(grant, Actor.Staff("yamada"), DetectionId.New(s_t), s_t),
            new ConsentEvent.FaultAccessed(DetectionId.New(s_t), s_p, Actor.Staff("yamada"), "disk", "INC-1", s_t),
        ];
    }

    [Theory]
    [MemberData(nameof(EventKinds))]
    [Trait("Requirement", "R8.5")]
    public void Every_event_kind_round_trips_through_its_stored_form(int kind)
    {
        var e = Events()[kind];
        var back = StoredConsentEvent.Decode(StoredConsentEvent.Encode(e));
        Assert.Equal(Describe(e), Describe(back));
    }

    [Fact]
    [Trait("Requirement", "R8.5")]
    public async Task The_ledger_survives_a_reopen()
    {
        using var dir = new TempDirectory();
        var request = new DecryptionRequest(new RequestId(Guid.NewGuid()), Actor.Staff("yamada"), s_p, new ConsentScope.TimeRange(s_t, s_t.AddDays(1)), Purpose.Investigation, "x", s_t, s_t.AddDays(1));
        using (var store = ConsentStore.Open(dir.Path))
        {
            Assert.True(store.Ledger.TryRequest(request, s_t, out var e, out _));
            await store.AppendAsync(e);
        }

        using var reopened = ConsentStore.Open(dir.Path);
        Assert.Equal(RequestStatus.Pending, reopened.Ledger.StatusOf(request.Id, s_t));
        Assert.Single(reopened.Events());
    }

    // Records compare collections by reference; describe them by value.
    private static string Describe(ConsentEvent e) => e switch
    {
        ConsentEvent.Requested r => $"{r.At:O} {r.Request with { Scope = null! }} {Scope(r.Request.Scope)}",
        ConsentEvent.Approved a => $"{a with { Epochs = [] }} {string.Join(",", a.Epochs)}",
        _ => e.ToString(),
    };

    private static string Scope(ConsentScope s) => s switch
    {
        ConsentScope.RecordList l => string.Join(",", l.Ids),
        _ => s.ToString(),
    };
}
