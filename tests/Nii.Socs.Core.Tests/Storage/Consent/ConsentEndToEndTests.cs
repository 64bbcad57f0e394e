using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Keys;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Storage.Consent;

/// <summary>Issue #6's end-to-end proof: ingest, rotate (old key destroyed), request, unwrap with the participant's private key, approve, view, check the history.</summary>
public sealed class ConsentEndToEndTests : IDisposable
{
    private static readonly ParticipantId s_p = new("u-tokyo");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero)); // Monday 12:00 JST
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _kekDirectory = new();

    public void Dispose()
    {
        _data.Dispose();
        _kekDirectory.Dispose();
    }

    [Fact]
    [Trait("Requirement", "R7.2")]
    [Trait("Requirement", "R8.4")]
    public async Task R7_2_fault_access_refuses_an_ended_epoch_even_when_its_sealed_key_file_was_left_on_disk()
    {
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "host.kek"));
        var keyStore = new FileKeyStore(_data.Path);
        DetectionRecord record;
        EpochId epoch;
        using (var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, keyStore, kek, new ActiveCertificates([TestCertificates.P256.Certificate]), _time))
        {
            var key = ring.Current(s_p);
            epoch = key.Epoch;
            record = Record(key, "GET /admin HTTP/1.1", 0);
        }

        using var detections = DetectionStore.Open(_data.Path, null, _time);
        await detections.AppendAsync(record);
        using var consent = ConsentStore.Open(_data.Path);
        await using var history = OperationHistoryStore.Open(_data.Path, _time);
        using var service = new ConsentService(_data.Path, consent, detections, keyStore, kek, history, _time);
        Assert.True((await service.FaultAccessAsync(record.Id, Actor.Staff("yamada"), "index check", "INC-1")).Succeeded);

        // The service is down across the epoch's end: the sealed key file of the ended epoch is still on disk.
        _time.Advance(TimeSpan.FromDays(7));
        Assert.True(keyStore.TryLoadSealedKey(epoch, out _));
        var entries = history.Entries().Count;
        var late = await service.FaultAccessAsync(record.Id, Actor.Staff("yamada"), "index check", "INC-2");
        Assert.False(late.Succeeded);
        Assert.Contains("has ended", late.Refusal!.Message, StringComparison.Ordinal);
        Assert.Equal((ConsentRefusalCode.KeyDestroyed, "R8.4"), (late.Refusal.Code, late.Refusal.Requirement));
        Assert.Equal(entries, history.Entries().Count);
    }

    [Fact]
    [Trait("Requirement", "R8.6")]
    [Trait("Requirement", "R7.2")]
    public async Task R8_6_ingest_rotate_request_unwrap_approve_view_and_the_history_shows_it()
    {
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "host.kek"));
        var keyStore = new FileKeyStore(_data.Path);
        using var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, keyStore, kek, new ActiveCertificates([TestCertificates.P256.Certificate]), _time);
        using var detections = DetectionStore.Open(_data.Path, null, _time);

        // Ingest two records in the first epoch.
        var oldKey = ring.Current(s_p);
        var oldEpoch = oldKey.Epoch;
        var first = Record(oldKey, "GET /../../etc/passwd HTTP/1.1", 0);
        var second = Record(oldKey, "' OR 1=1 --", 1);
        await detections.AppendAsync([first, second]);

        // A week later the key rotates; the old one is destroyed (R8.4).
        _time.Advance(TimeSpan.FromDays(7));
        var newKey = ring.Current(s_p);
        Assert.NotEqual(oldEpoch, newKey.Epoch);
        Assert.True(oldKey.IsDestroyed);
        Assert.False(keyStore.TryLoadSealedKey(oldEpoch, out _));
        var third = Record(newKey, "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR", 2);
        await detections.AppendAsync(third);

        using var consent = ConsentStore.Open(_data.Path);
        await using var history = OperationHistoryStore.Open(_data.Path, _time);
        using var service = new ConsentService(_data.Path, consent, detections, keyStore, kek, history, _time);
        var staff = Actor.Staff("yamada");
        var op = Actor.Operator(s_p, "sato");

        // The fault exception reaches only the current epoch (R7.2): the old record is out of reach.
        var faultOld = await service.FaultAccessAsync(first.Id, staff, "store corruption check", "INC-7");
        Assert.False(faultOld.Succeeded);
        Assert.Contains("destroyed", faultOld.Refusal!.Message, StringComparison.Ordinal);
        var faultNew = await service.FaultAccessAsync(third.Id, staff, "store corruption check", "INC-7");
        Assert.True(faultNew.Succeeded);
        Assert.StartsWith("X5O!", Encoding.ASCII.GetString(faultNew.Value));

        // Staff request the old epoch's records (R8.5).
        var request = await service.RequestAsync(staff, s_p, new ConsentScope.TimeRange(first.AcquiredAt, first.AcquiredAt.AddHours(1)), Purpose.Investigation, "directory traversal follow-up", _time.GetUtcNow().AddDays(3));
        Assert.True(request.Succeeded, request.Refusal?.Message);
        Assert.Equal([oldEpoch], await service.RequiredEpochsAsync(request.Value.Id));

        // A wrong key is refused and the refusal recorded.
        var wrong = await service.ApproveAsync(request.Value.Id, op, new Dictionary<EpochId, byte[]> { [oldEpoch] = new byte[32] }, _time.GetUtcNow().AddHours(1));
        Assert.Equal((ConsentRefusalCode.KeyMismatch, "R8.6"), (wrong.Refusal!.Code, wrong.Refusal.Requirement));
        Assert.Single(service.Ledger.RefusedKeys);

        // The participant unwraps the old key with its private key, on its own machine, and presents it (R8.6).
        Assert.True(keyStore.TryLoadWrappedSet(oldEpoch, out var wrapped));
        using var privateKey = ParticipantPrivateKey.Load(TestCertificates.P256.Pkcs8, null);
        Assert.True(privateKey.TryUnwrap(wrapped, out var unwrapped, out _));

        // Another participant's operator cannot decide it.
        var stranger = await service.ApproveAsync(request.Value.Id, Actor.Operator(new ParticipantId("u-kyoto"), "x"), [unwrapped], _time.GetUtcNow().AddHours(1));
        Assert.Equal((ConsentRefusalCode.NotPermitted, "R8.6"), (stranger.Refusal!.Code, stranger.Refusal.Requirement));

        // The key is presented in its zeroising type; the caller's copy may be destroyed at once: the service keeps its own.
        var grant = await service.ApproveAsync(request.Value.Id, op, [unwrapped], _time.GetUtcNow().AddHours(1));
        unwrapped.Dispose();
        Assert.True(grant.Succeeded, grant.Refusal?.Message);

        // What the portal shows of a grant follows what viewing can do: a service restarted with keys held in memory
        // still has the live grant in its ledger but not its keys, and both say so.
        Assert.True(service.HoldsKeys(grant.Value.Id));
        using (var restarted = new ConsentService(_data.Path, consent, detections, keyStore, kek, history, _time))
        {
            Assert.True(restarted.Ledger.TryGetGrant(grant.Value.Id, out var live) && live.IsLive(_time.GetUtcNow()));
            Assert.False(restarted.HoldsKeys(grant.Value.Id));
            var refused = await restarted.ViewAsync(grant.Value.Id, staff, first.Id);
            Assert.Contains("no longer held", refused.Refusal!.Message, StringComparison.Ordinal);
            Assert.Equal(ConsentRefusalCode.KeyNotHeld, refused.Refusal.Code);
        }

        var view = await service.ViewAsync(grant.Value.Id, staff, first.Id);
        Assert.True(view.Succeeded, view.Refusal?.Message);
        Assert.Equal("GET /../../etc/passwd HTTP/1.1", Encoding.ASCII.GetString(view.Value));

        // Outside the scope, by someone else, or after expiry: refused.
        Assert.False((await service.ViewAsync(grant.Value.Id, staff, third.Id)).Succeeded);
        Assert.False((await service.ViewAsync(grant.Value.Id, Actor.Staff("someone-else"), first.Id)).Succeeded);
        _time.Advance(TimeSpan.FromHours(2));
        Assert.False((await service.ViewAsync(grant.Value.Id, staff, first.Id)).Succeeded);
        Assert.False(service.HoldsKeys(grant.Value.Id));

        // The history records every step, and verifies.
        await history.CheckpointAsync();
        var actions = OperationHistoryStore.ReadAll(_data.Path).Select(e => e.Action).ToList();
        Assert.Equal(
            ["consent.fault-access", "consent.fault-access.notice", "consent.request.filed", "consent.key.refused", "consent.approved", "consent.viewed"],
            actions);
        Assert.Single(service.Ledger.Views);
        Assert.Single(service.Ledger.FaultAccesses);
    }

    private sealed class ActiveCertificates(IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> certificates) : IActiveCertificates
    {
        public IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> ActiveFor(ParticipantId participant) => certificates;
    }

    private DetectionRecord Record(EpochKey key, string content, int n)
    {
        var at = _time.GetUtcNow().AddMinutes(n);
        var header = new DetectionHeader { ObservedAt = at, Source = IPAddress.Parse("203.0.113.9"), Destination = IPAddress.Parse("192.0.2.10"), Protocol = 6, SourcePort = 40000, DestinationPort = 80, ContentLength = content.Length };
        var id = DetectionId.New(at);
        var blob = ContentSealer.Default.Seal(key, SealingContext.For(key.Epoch, id, header), Encoding.ASCII.GetBytes(content));
        return new DetectionRecord { Id = id, Participant = s_p, Epoch = key.Epoch, Header = header, Rule = new RuleRef(1000 + n, 1, "test", "web-application-attack", 1), SealedContent = blob };
    }
}
