using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>Random runs of enrol / renew / revoke / compromise / rotate / ingest over three participants, through the
/// real enrolment, key ring, rotation and sealing, checked after every step (R8.1, R8.4, R6.2, R6.3).</summary>
public class CertificateLifecycleProperties
{
    private static readonly ParticipantId[] s_participants = [new("alpha-u"), new("beta-u"), new("gamma-u")];

    public enum Op
    {
        Enrol,
        Renew,
        Revoke,
        Compromise,
        Rotate,
        Ingest,
    }

    public static Arbitrary<(Op Op, int Participant, int Minutes)[]> Steps() =>
        Arb.From(Gen.ArrayOf(
            from op in Gen.Frequency((4, Gen.Constant(Op.Enrol)), (2, Gen.Constant(Op.Renew)), (2, Gen.Constant(Op.Revoke)), (1, Gen.Constant(Op.Compromise)), (3, Gen.Constant(Op.Rotate)), (3, Gen.Constant(Op.Ingest)))
            from participant in Gen.Choose(0, s_participants.Length - 1)
            from minutes in Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Choose(1, 600)), (2, Gen.Choose(3 * 24 * 60, 9 * 24 * 60)))
            select (op, participant, minutes)).Select(a => a.Take(14).ToArray()));

    [Property(MaxTest = 12, Arbitrary = [typeof(CertificateLifecycleProperties)])]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R8.1")]
    public Property R8_4_every_live_key_is_wrapped_to_every_active_certificate_none_outlives_its_epoch_and_no_participant_blocks_another((Op Op, int Participant, int Minutes)[] steps)
    {
        var root = Directory.CreateTempSubdirectory("socs-lifecycle-").FullName;
        var dataDirectory = Path.Combine(root, "data");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 14, 0, 0, TimeSpan.Zero));
        var result = true.Label("start");
        try
        {
            RunAsync(root, dataDirectory, time, steps, r => result = result.And(r)).GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        return result.Classify(steps.Any(s => s.Op == Op.Compromise), "with compromise").Classify(steps.Count(s => s.Op == Op.Rotate) > 1, "several rotations");
    }

    private static async Task RunAsync(string root, string dataDirectory, FakeTimeProvider time, (Op Op, int Participant, int Minutes)[] steps, Action<Property> check)
    {
        await using var data = SocsData.Open(dataDirectory, time);
        using var ca = DevelopmentCa.OpenOrCreate(dataDirectory, time);
        var now = time.GetUtcNow();
        for (var i = 0; i < s_participants.Length; i++)
        {
            var p = s_participants[i];
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, $"app-{p}", p, p.Value, [IPPrefix.Parse($"192.0.{i}.0/24")], [$"soc@{p}.example"], [new OperatorContact("a", $"a@{p}.example", null, true), new OperatorContact("b", $"b@{p}.example", null, true)]),
                new ApplicationApproved(now, $"app-{p}"),
            ]);
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal); // thumbprint → private key file
        var made = 0;
        (string Key, byte[] Csr) MakeCsr(ParticipantId p)
        {
            var (key, csr) = OperatorKeys.Generate(Path.Combine(root, "people", p.Value), $"k{made++}", ClientKeyType.EcP256);
            return (key, File.ReadAllBytes(csr));
        }

        var stepNumber = 0;

        // One sealing state for the whole sequence, as one ingest run keeps it: a sealer kept from before a rotation or
        // a compromise must not seal with the old key.
        var sealers = new Ingestor.Sealers();
        foreach (var (op, index, minutes) in steps)
        {
            stepNumber++;
            var p = s_participants[index];
            var active = Active(data, p);
            switch (op)
            {
                case Op.Enrol:
                    var made1 = MakeCsr(p);
                    var enrolled = await CertificateEnrolment.EnrolAsync(data, ca, p, stepNumber % 2 == 0 ? "a" : "b", made1.Csr, "test");
                    keys[enrolled.Thumbprint] = made1.Key;
                    break;
                case Op.Renew when active.Count > 0:
                    var made2 = MakeCsr(p);
                    var renewed = await CertificateEnrolment.RenewAsync(data, ca, p, active[0], made2.Csr, "test");
                    keys[renewed.Thumbprint] = made2.Key;
                    break;
                case Op.Revoke when active.Count > 0:
                    await CertificateEnrolment.RevokeAsync(data, p, active[^1], "operator left", "test");
                    break;
                case Op.Compromise:
                    foreach (var thumbprint in active)
                    {
                        await CertificateEnrolment.RevokeAsync(data, p, thumbprint, "compromise reported", "test");
                    }

                    break;
                case Op.Rotate:
                    time.Advance(TimeSpan.FromMinutes(minutes));
                    await KeyEpochs.RotateAllAsync(data);
                    foreach (var q in s_participants.Where(q => Active(data, q).Count > 0))
                    {
                        check(data.Keys.SealedKeyEpochs(q).Contains(Current(data, q)).Label($"step {stepNumber}: {q} with an active certificate has this epoch's key after rotation"));
                    }

                    break;
                case Op.Ingest:
                    time.Advance(TimeSpan.FromMinutes(minutes % 600));
                    var detection = Detection(time.GetUtcNow());
                    var records = new List<DetectionRecord>();
                    foreach (var q in s_participants)
                    {
                        records.Add(await Ingestor.SealAsync(data, sealers, detection, q, DetectionId.New(detection.Header.ObservedAt), CancellationToken.None));
                    }

                    await data.Detections.AppendAsync(records);
                    foreach (var record in records)
                    {
                        var hasKey = data.Keys.SealedKeyEpochs(record.Participant).Contains(Current(data, record.Participant));
                        check((record.SealedContent.IsEmpty == !hasKey).Label($"step {stepNumber}: {record.Participant} stores sealed content exactly when it has a key ({hasKey})"));
                        check((!hasKey || record.Epoch == Current(data, record.Participant)).Label($"step {stepNumber}: {record.Participant} sealed under the current epoch"));
                    }

                    break;
            }

            foreach (var q in s_participants)
            {
                var current = Current(data, q);
                var sealedEpochs = data.Keys.SealedKeyEpochs(q);
                check(sealedEpochs.All(e => e == current).Label($"step {stepNumber} ({op} {p}): {q} holds no key but the current epoch's ({string.Join(",", sealedEpochs.Select(e => e.Index))} vs {current.Index})"));
                if (sealedEpochs.Contains(current))
                {
                    check(data.Keys.TryLoadWrappedSet(current, out var set).Label($"step {stepNumber}: {q}'s live key has a wrapped set"));
                    foreach (var thumbprint in Active(data, q))
                    {
                        using var key = ParticipantPrivateKey.Load(File.ReadAllBytes(keys[thumbprint]), null);
                        var opened = key.TryUnwrap(set!, out var unwrapped, out var failure);
                        unwrapped?.Dispose();
                        check(opened.Label($"step {stepNumber} ({op} {p}): {q}'s live key of epoch {current.Index} opens with active certificate {thumbprint[..8]} ({failure})"));
                    }
                }
                else
                {
                    check((Active(data, q).Count == 0 || !data.Keys.TryLoadWrappedSet(current, out _)).Label($"step {stepNumber}: {q} with a certificate is never without its key mid-epoch"));
                }
            }
        }
    }

    private static List<string> Active(SocsData data, ParticipantId p) =>
        [.. data.Registry.State.Participants[p].Certificates.Values.Where(c => c.Status == CertificateStatus.Active).Select(c => c.Thumbprint).Order(StringComparer.Ordinal)];

    private static EpochId Current(SocsData data, ParticipantId p) => data.Schedule.EpochOf(p, data.Time.GetUtcNow());

    private static CaptureDetection Detection(DateTimeOffset at) => ServiceKit.Detection(at, s_participants);
}
