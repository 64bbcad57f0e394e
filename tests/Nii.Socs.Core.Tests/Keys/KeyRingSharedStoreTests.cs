using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

/// <summary>R8.2 with two rings on one store (two hosts of one cluster): the ring that looked for the epoch's key before
/// the other stored it, and tries to store its own after, keeps the other's key and stores nothing.</summary>
public sealed class KeyRingSharedStoreTests : IDisposable
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");

    // Monday 2026-11-30 12:00 JST.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _kekDirectory = new();
    private readonly ActiveCertificates _certificates = new(TestCertificates.X25519.Certificate);

    public void Dispose()
    {
        _data.Dispose();
        _kekDirectory.Dispose();
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    public void R8_2_a_ring_that_loses_the_creation_to_another_ring_restores_the_winners_key_and_stores_nothing()
    {
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "shared.kek"));
        var store = new FileKeyStore(_data.Path);
        using var winner = new KeyRing(EpochSchedule.WeeklyFromMondayJst, store, kek, _certificates, _time);

        // The loser looks (no set yet), makes its key, and the winner stores its own just before the loser's write.
        var late = new InterleavedStore(store, () => winner.Current(s_tokyo));
        using var loser = new KeyRing(EpochSchedule.WeeklyFromMondayJst, late, kek, _certificates, _time);
        var rotation = loser.EnsureCurrent(s_tokyo);

        Assert.Equal(1, late.Creations);
        Assert.False(rotation.Created);
        var epoch = rotation.Current;
        Assert.Equal(winner.Current(s_tokyo).Bytes.ToArray(), loser.Current(s_tokyo).Bytes.ToArray());
        Assert.True(store.TryLoadWrappedSet(epoch, out var set));
        Assert.True(set.Commitment.Matches(winner.Current(s_tokyo).Bytes));
        Assert.Equal([epoch], store.WrappedSetEpochs(s_tokyo));
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    public void R8_2_a_ring_with_another_kek_that_loses_the_creation_refuses_and_never_replaces_the_stored_key()
    {
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "shared.kek"));
        using var other = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "other.kek"));
        var store = new FileKeyStore(_data.Path);
        using var winner = new KeyRing(EpochSchedule.WeeklyFromMondayJst, store, kek, _certificates, _time);
        var late = new InterleavedStore(store, () => winner.Current(s_tokyo));
        using var loser = new KeyRing(EpochSchedule.WeeklyFromMondayJst, late, other, _certificates, _time);

        var refused = Assert.Throws<InvalidOperationException>(() => loser.EnsureCurrent(s_tokyo));
        Assert.Contains("refusing to replace it", refused.Message, StringComparison.Ordinal);
        var epoch = winner.Current(s_tokyo).Epoch;
        Assert.True(store.TryLoadWrappedSet(epoch, out var set));
        Assert.True(set.Commitment.Matches(winner.Current(s_tokyo).Bytes));
        Assert.True(store.TryLoadSealedKey(epoch, out var sealedKey));
        var opened = new byte[EpochKey.Size];
        Assert.True(kek.TryOpen(sealedKey, KeyWrapper.AadOf(epoch), opened, out _));
        Assert.Equal(winner.Current(s_tokyo).Bytes.ToArray(), opened);
    }

    /// <summary>The real file store, with another writer's work run just before the first creation reaches it.</summary>
    private sealed class InterleavedStore(IKeyStore inner, Action beforeFirstCreation) : IKeyStore
    {
        public int Creations { get; private set; }

        public bool TryCreate(EpochId epoch, ReadOnlySpan<byte> sealedKey, WrappedKeySet wrappedSet)
        {
            if (Creations++ == 0)
            {
                beforeFirstCreation();
            }

            return inner.TryCreate(epoch, sealedKey, wrappedSet);
        }

        public void SaveWrappedSet(WrappedKeySet wrappedSet) => inner.SaveWrappedSet(wrappedSet);

        public bool TryLoadWrappedSet(EpochId epoch, [NotNullWhen(true)] out WrappedKeySet? wrappedSet) => inner.TryLoadWrappedSet(epoch, out wrappedSet);

        public void SaveSealedKey(EpochId epoch, ReadOnlySpan<byte> sealedKey) => inner.SaveSealedKey(epoch, sealedKey);

        public bool TryLoadSealedKey(EpochId epoch, [NotNullWhen(true)] out byte[]? sealedKey) => inner.TryLoadSealedKey(epoch, out sealedKey);

        public void DestroySealedKey(EpochId epoch) => inner.DestroySealedKey(epoch);

        public void DestroyLeftoverSealedKey(EpochId epoch) => inner.DestroyLeftoverSealedKey(epoch);

        public IReadOnlyList<EpochId> WrappedSetEpochs(ParticipantId participant) => inner.WrappedSetEpochs(participant);

        public IReadOnlyList<EpochId> SealedKeyEpochs(ParticipantId participant) => inner.SealedKeyEpochs(participant);
    }

    private sealed class ActiveCertificates(X509Certificate2 certificate) : IActiveCertificates
    {
        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => [certificate];
    }
}
