using System.Security.Cryptography.X509Certificates;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>The key lifecycle under random runs of time steps and restarts (R8.4).</summary>
public class KeyRingProperties
{
    private static readonly ParticipantId s_participant = new("tohoku-u");

    /// <summary>One step: advance the clock by minutes (0 to 20 days), then maybe restart the host.</summary>
    public static Arbitrary<(int Minutes, bool Restart)[]> Steps() =>
        Arb.From(Gen.ArrayOf(
            from minutes in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(1, 20 * 24 * 60)))
            from restart in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (minutes, restart)).Select(a => a.Take(8).ToArray()));

    [Property(MaxTest = 25, Arbitrary = [typeof(KeyRingProperties)])]
    [Trait("Requirement", "R8.4")]
    public Property R8_4_after_every_step_only_the_current_epoch_has_a_key_and_every_past_epoch_only_its_wrapped_forms((int Minutes, bool Restart)[] steps)
    {
        using var data = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 14, 0, 0, TimeSpan.Zero));
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(data.Path, "kek", "host.kek"));
        var store = new FileKeyStore(Path.Combine(data.Path, "data"));
        var certificates = new Fixed([TestCertificates.X25519.Certificate]);
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        var ring = new KeyRing(schedule, store, kek, certificates, time);
        var made = new HashSet<EpochId>();
        var held = new List<EpochKey>();
        var result = true.Label("start");
        var rotations = 0;
        try
        {
            foreach (var (minutes, restart) in steps.Prepend((0, false)))
            {
                time.Advance(TimeSpan.FromMinutes(minutes));
                if (restart)
                {
                    ring.Dispose();
                    ring = new KeyRing(schedule, store, kek, certificates, time);
                }

                var rotation = ring.EnsureCurrent(s_participant);
                var key = ring.Current(s_participant);
                held.Add(key);
                made.Add(rotation.Current);
                rotations += rotation.Destroyed.Count;
                var now = schedule.EpochOf(s_participant, time.GetUtcNow());
                result = result
                    .And((key.Epoch == now).Label("the held key is of the epoch of now"))
                    .And(store.SealedKeyEpochs(s_participant).SequenceEqual([now]).Label("only the current epoch has a sealed copy"))
                    .And(made.All(e => store.TryLoadWrappedSet(e, out _)).Label("every epoch keeps its wrapped set"))
                    .And(held.Where(k => k.Epoch != now).All(k => k.IsDestroyed).Label("every older key object is destroyed"));
            }
        }
        finally
        {
            ring.Dispose();
        }

        return result.Classify(rotations == 0, "no rotation").Classify(rotations > 1, "several rotations");
    }

    private sealed class Fixed(IReadOnlyList<X509Certificate2> certificates) : IActiveCertificates
    {
        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => certificates;
    }
}
