using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
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

/// <summary>Random consent actions, some interrupted between their two appends: verify names every half-done one (R6.4, R8.5).</summary>
public sealed class ConsentHalfDoneProperties
{
    private static readonly ParticipantId s_p = new("u-tokyo");

    private enum Step
    {
        Request,
        Approve,
        ApproveWithWrongKey,
        Deny,
        View,
        Revoke,
        FaultAccess,
    }

    [Property(MaxTest = 12)]
    [Trait("Requirement", "R8.5")]
    [Trait("Requirement", "R6.4")]
    public Property R8_5_every_consent_action_interrupted_between_its_two_appends_is_named_by_verify()
    {
        var step = Gen.Elements(Enum.GetValues<Step>());
        var gen =
            from length in Gen.Choose(3, 14)
            from list in Gen.ListOf(Gen.Zip(step, Gen.Elements(false, false, true)), length)
            select list.ToList();
        return Prop.ForAll(gen.ToArbitrary(), steps =>
        {
            var (unpaired, failed, verification, done) = RunAsync(steps).GetAwaiter().GetResult();
            var named = unpaired.Select(u => u.HistoryEntry).ToHashSet();
            return (verification is HistoryVerification.Intact
                    && unpaired.All(u => u.HistoryEntry is not null)
                    && named.SetEquals(failed.Select(f => (long?)f)))
                .Label($"steps {string.Join(",", steps)}; done {done}; failed entries {string.Join(",", failed)}; unpaired {string.Join(" | ", unpaired)}; {verification}")
                .Classify(failed.Count > 0, "with half-done actions");
        });
    }

    [Fact]
    [Trait("Requirement", "R8.5")]
    public async Task R8_5_an_oversized_purpose_is_refused_before_anything_is_written()
    {
        using var data = new TempDirectory();
        using var kekDir = new TempDirectory();
        await using var fixture = await Fixture.OpenAsync(data.Path, kekDir.Path);
        var tooLong = new string('x', ConsentLimits.MaxTextBytes + 1);
        var result = await fixture.Service.RequestAsync(Actor.Staff("yamada"), s_p, new ConsentScope.RecordList([fixture.Records[0].Id]), Purpose.Investigation, tooLong, fixture.Time.GetUtcNow().AddDays(1));
        Assert.False(result.Succeeded);
        Assert.Contains("at most 4096", result.Refusal!.Message, StringComparison.Ordinal);
        var ids = Enumerable.Range(0, ConsentLimits.MaxRecordIds + 1).Select(i => DetectionId.New(fixture.Time.GetUtcNow().AddMilliseconds(-i))).ToList();
        Assert.False((await fixture.Service.RequestAsync(Actor.Staff("yamada"), s_p, new ConsentScope.RecordList(ids), Purpose.Investigation, "ok", fixture.Time.GetUtcNow().AddDays(1))).Succeeded);
        Assert.Equal(0, fixture.History.Count);
        Assert.Empty(fixture.Service.Ledger.Requests);
    }

    private static async Task<(IReadOnlyList<UnpairedRecord> Unpaired, List<long> Failed, HistoryVerification Verification, int Done)> RunAsync(List<(Step Step, bool Fail)> steps)
    {
        using var data = new TempDirectory();
        using var kekDir = new TempDirectory();
        var failed = new List<long>();
        var done = 0;
        await using (var fixture = await Fixture.OpenAsync(data.Path, kekDir.Path))
        {
            var service = fixture.Service;
            var staff = Actor.Staff("yamada");
            var op = Actor.Operator(s_p, "sato");
            var n = 0;
            foreach (var (step, fail) in steps)
            {
                n++;
                fixture.Failing.Armed = fail;
                var now = fixture.Time.GetUtcNow();
                var pending = service.Ledger.Requests.LastOrDefault(r => service.Ledger.StatusOf(r.Id, now) == RequestStatus.Pending);
                var grant = service.Ledger.Grants.LastOrDefault(g => g.IsLive(now));
                var record = fixture.Records[n % fixture.Records.Count];
                try
                {
                    var ok = step switch
                    {
                        Step.Request => (await service.RequestAsync(staff, s_p, new ConsentScope.RecordList([.. fixture.Records.Select(r => r.Id)]), Purpose.Investigation, $"step {n}", now.AddDays(1))).Succeeded,
                        Step.Approve when pending is not null => (await service.ApproveAsync(pending.Id, op, new Dictionary<EpochId, byte[]> { [fixture.Epoch] = fixture.Presented }, now.AddHours(1))).Succeeded,
                        Step.ApproveWithWrongKey when pending is not null => (await service.ApproveAsync(pending.Id, op, new Dictionary<EpochId, byte[]> { [fixture.Epoch] = new byte[EpochKey.Size] }, now.AddHours(1))).Succeeded,
                        Step.Deny when pending is not null => (await service.DenyAsync(pending.Id, op, $"not now ({n})")).Succeeded,
                        Step.View when grant is not null => (await service.ViewAsync(grant.Id, staff, record.Id)).Succeeded,
                        Step.Revoke when grant is not null => (await service.RevokeAsync(grant.Id, op)).Succeeded,
                        Step.FaultAccess => (await service.FaultAccessAsync(record.Id, staff, $"fault {n}", "INC-1")).Succeeded,
                        _ => false,
                    };
                    done += ok ? 1 : 0;
                }
                catch (FailingHistory.InjectedFailure ex)
                {
                    failed.Add(ex.Sequence);
                }

                fixture.Time.Advance(TimeSpan.FromMinutes(1));
            }

            fixture.Failing.Armed = false;
        }

        return (OperationHistoryStore.CrossCheckConsent(data.Path), failed, OperationHistoryStore.Verify(data.Path), done);
    }

    /// <summary>The real history, with a failure that strikes right after the next append is durable (a crash between the two appends).</summary>
    private sealed class FailingHistory(IOperationHistory inner) : IOperationHistory
    {
        public bool Armed { get; set; }

        public async Task<OperationEntry> AppendAsync(string actor, string action, string subject, string details, CancellationToken cancellationToken = default)
        {
            var entry = await inner.AppendAsync(actor, action, subject, details, cancellationToken);
            if (Armed)
            {
                Armed = false;
                throw new InjectedFailure(entry.Sequence);
            }

            return entry;
        }

        internal sealed class InjectedFailure(long sequence) : Exception($"injected failure after history entry {sequence}")
        {
            public long Sequence { get; } = sequence;
        }
    }

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly FileKeyEncryptionKey _kek;
        private readonly KeyRing _ring;
        private readonly DetectionStore _detections;
        private readonly ConsentStore _consent;

        private Fixture(FakeTimeProvider time, FileKeyEncryptionKey kek, KeyRing ring, DetectionStore detections, ConsentStore consent, OperationHistoryStore history)
        {
            Time = time;
            _kek = kek;
            _ring = ring;
            _detections = detections;
            _consent = consent;
            History = history;
            Failing = new FailingHistory(history);
        }

        public FakeTimeProvider Time { get; }

        public OperationHistoryStore History { get; }

        public FailingHistory Failing { get; }

        public ConsentService Service { get; private set; } = null!;

        public List<DetectionRecord> Records { get; } = [];

        public EpochId Epoch { get; private set; }

        public byte[] Presented { get; private set; } = [];

        public static async Task<Fixture> OpenAsync(string data, string kekDirectory)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
            var kek = FileKeyEncryptionKey.Create(Path.Combine(kekDirectory, "host.kek"));
            var keys = new FileKeyStore(data);
            var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, keys, kek, new Certificates(), time);
            var detections = DetectionStore.Open(data, null, time);
            var fixture = new Fixture(time, kek, ring, detections, ConsentStore.Open(data), OperationHistoryStore.Open(data, time));
            var key = ring.Current(s_p);
            fixture.Epoch = key.Epoch;
            for (var i = 0; i < 3; i++)
            {
                var at = time.GetUtcNow().AddMinutes(-i);
                var header = new DetectionHeader { ObservedAt = at, Source = IPAddress.Parse("203.0.113.9"), Destination = IPAddress.Parse("192.0.2.10"), Protocol = 6, SourcePort = 40000, DestinationPort = 80, ContentLength = 5 };
                var id = DetectionId.New(at);
                fixture.Records.Add(new DetectionRecord
                {
                    Id = id,
                    Participant = s_p,
                    Epoch = key.Epoch,
                    Header = header,
                    Rule = new RuleRef(1000 + i, 1, "test", null, 1),
                    SealedContent = ContentSealer.Default.Seal(key, SealingContext.For(key.Epoch, id, header), Encoding.ASCII.GetBytes("hello")),
                });
            }

            await detections.AppendAsync(fixture.Records);
            Assert.True(keys.TryLoadWrappedSet(key.Epoch, out var wrapped));
            using (var privateKey = ParticipantPrivateKey.Load(TestCertificates.P256.Pkcs8, null))
            {
                Assert.True(privateKey.TryUnwrap(wrapped, out var unwrapped, out _));
                fixture.Presented = new byte[EpochKey.Size];
                unwrapped.CopyTo(fixture.Presented);
                unwrapped.Dispose();
            }

            fixture.Service = new ConsentService(data, fixture._consent, detections, keys, kek, fixture.Failing, time);
            return fixture;
        }

        public async ValueTask DisposeAsync()
        {
            Service.Dispose();
            _ring.Dispose();
            _consent.Dispose();
            await History.DisposeAsync();
            _detections.Dispose();
            _kek.Dispose();
        }

        private sealed class Certificates : IActiveCertificates
        {
            public IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> ActiveFor(ParticipantId participant) => [TestCertificates.P256.Certificate];
        }
    }
}
