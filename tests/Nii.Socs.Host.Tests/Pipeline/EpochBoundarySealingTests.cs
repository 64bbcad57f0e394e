using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>A key destroyed at its epoch's end between the ingest path's lookup and its seal (R8.4): the record is sealed
/// under the new epoch's key instead of failing its capture.</summary>
public sealed class EpochBoundarySealingTests
{
    /// <summary>The host's own sealing keys, with the epoch ending (clock past the boundary, rotation destroying the old
    /// key) right after the first lookup returns: the interleaving a rotation service and an ingest can meet.</summary>
    private sealed class EpochEndsAfterFirstLookup(SocsData data, FakeTimeProvider time) : ISealingKeys
    {
        private readonly RingSealingKeys _ring = new(data);

        public int Lookups { get; private set; }

        public EpochId? Destroyed { get; private set; }

        public async ValueTask<SealingKey> CurrentAsync(ParticipantId participant, CancellationToken cancellationToken)
        {
            var found = await _ring.CurrentAsync(participant, cancellationToken);
            if (++Lookups == 1)
            {
                time.SetUtcNow(data.Schedule.EndOf(found.Epoch).AddSeconds(1));
                await KeyEpochs.RotateAllAsync(data, cancellationToken);
                Destroyed = found.Epoch;
            }

            return found;
        }

        public void Dispose() => _ring.Dispose();
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task A_key_destroyed_between_lookup_and_seal_seals_the_record_under_the_new_epochs_key()
    {
        var root = Directory.CreateTempSubdirectory("socs-boundary-").FullName;
        try
        {
            var dir = Path.Combine(root, "data");
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 1, 0, 0, TimeSpan.Zero));
            await ServiceKit.CreateDataAsync(dir, time);
            await using var data = SocsData.Open(dir, time);
            var keys = new EpochEndsAfterFirstLookup(data, time);
            data.SealingKeys = keys;
            var participant = new ParticipantId("u-tokyo");
            var detection = ServiceKit.Detection(time.GetUtcNow(), [participant]);

            var record = await Ingestor.SealAsync(data, new Ingestor.Sealers(), detection, participant, DetectionId.New(detection.Header.ObservedAt), CancellationToken.None);

            Assert.Equal(2, keys.Lookups);
            Assert.NotNull(keys.Destroyed);
            Assert.DoesNotContain(keys.Destroyed.Value, data.Keys.SealedKeyEpochs(participant));
            Assert.True(data.Ring.TryCurrent(participant, out var current));
            Assert.NotEqual(keys.Destroyed.Value, current.Epoch);
            Assert.Equal(current.Epoch, record.Epoch);
            Assert.False(record.SealedContent.IsEmpty);
            Assert.True(SealedContent.TryOpen(current, record, out var plain, out var failure), failure.ToString());
            Assert.Equal("GET /secret HTTP/1.1", Encoding.ASCII.GetString(plain));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
