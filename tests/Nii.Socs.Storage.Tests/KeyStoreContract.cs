using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Storage.PostgreSql;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>What every epoch-key store must do (<see cref="IKeyStore"/> for the ring, <see cref="IWrappedKeyStore"/> for
/// the sweep); run against the files (<see cref="FileKeyStore"/> + <see cref="WrappedKeyDirectory"/>) and the cluster
/// (<see cref="PostgreSqlKeyStore"/>).</summary>
public abstract class KeyStoreContract : IAsyncLifetime
{
    private static readonly Lazy<X509Certificate2> s_certificate = new(() =>
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = new CertificateRequest("CN=contract operator", ec, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return X509CertificateLoader.LoadCertificate(made.RawData);
    });

    private protected abstract Task<(IKeyStore Keys, IWrappedKeyStore Wrapped)> OpenAsync();

    protected abstract Task CleanupAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => CleanupAsync();

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task Keys_round_trip_per_epoch_and_destroying_or_deleting_one_epoch_leaves_every_other()
    {
        var (keys, wrapped) = await OpenAsync();
        EpochId[] epochs = [new(UTokyo, 2950), new(UTokyo, 2951), new(UTokyo, 2952), new(Kyoto, 2951)];
        var sets = new Dictionary<EpochId, WrappedKeySet>();
        foreach (var epoch in epochs)
        {
            sets[epoch] = Set(epoch);
            keys.SaveWrappedSet(sets[epoch]);
            keys.SaveSealedKey(epoch, Sealed(epoch));
        }

        // A re-wrap (a certificate enrolled mid-epoch) replaces the set.
        sets[epochs[1]] = Set(epochs[1]);
        keys.SaveWrappedSet(sets[epochs[1]]);

        foreach (var epoch in epochs)
        {
            Assert.True(keys.TryLoadWrappedSet(epoch, out var set));
            Assert.Equal(sets[epoch].ToJson(), set.ToJson());
            Assert.True(keys.TryLoadSealedKey(epoch, out var sealedKey));
            Assert.Equal(Sealed(epoch), sealedKey);
        }

        Assert.False(keys.TryLoadWrappedSet(new EpochId(UTokyo, 99), out _));
        Assert.False(keys.TryLoadSealedKey(new EpochId(UTokyo, 99), out _));
        Assert.Equal([epochs[0], epochs[1], epochs[2]], keys.SealedKeyEpochs(UTokyo));
        Assert.Equal([Kyoto, UTokyo], wrapped.Participants().OrderBy(p => p.Value, StringComparer.Ordinal));
        Assert.Equal([2950L, 2951, 2952], wrapped.Epochs(UTokyo));

        // The epoch's end: the sealed key goes, the wrapped set stays (participants still need it).
        keys.DestroySealedKey(epochs[0]);
        keys.DestroySealedKey(epochs[0]);
        Assert.False(keys.TryLoadSealedKey(epochs[0], out _));
        Assert.True(keys.TryLoadWrappedSet(epochs[0], out _));
        Assert.Equal([epochs[1], epochs[2]], keys.SealedKeyEpochs(UTokyo));
        Assert.Equal([2950L, 2951, 2952], wrapped.Epochs(UTokyo));

        // The sweep: every stored form of the epoch goes.
        wrapped.Delete(UTokyo, 2951);
        wrapped.Delete(UTokyo, 2951);
        Assert.False(keys.TryLoadWrappedSet(epochs[1], out _));
        Assert.False(keys.TryLoadSealedKey(epochs[1], out _));
        Assert.Equal([2950L, 2952], wrapped.Epochs(UTokyo));
        Assert.Equal([epochs[2]], keys.SealedKeyEpochs(UTokyo));
        Assert.Empty(wrapped.FinishPendingDeletions());

        // The other participant's same epoch is untouched.
        Assert.True(keys.TryLoadWrappedSet(epochs[3], out _));
        Assert.True(keys.TryLoadSealedKey(epochs[3], out _));
        Assert.Equal([2951L], wrapped.Epochs(Kyoto));
    }

    [Fact]
    [Trait("Requirement", "R8.2")]
    [Trait("Requirement", "R8.4")]
    public async Task A_key_is_created_once_per_epoch_a_leftover_sealed_key_goes_and_a_stored_set_is_never_replaced_by_a_creation()
    {
        var (keys, _) = await OpenAsync();
        var epoch = new EpochId(UTokyo, 2960);

        // A crash during creation left a sealed key without its set: it is a leftover, destroyed.
        keys.SaveSealedKey(epoch, Sealed(epoch));
        keys.DestroyLeftoverSealedKey(epoch);
        Assert.False(keys.TryLoadSealedKey(epoch, out _));

        // Another leftover is replaced by a creation, which stores the sealed key and the set.
        keys.SaveSealedKey(epoch, Sealed(epoch));
        var first = Set(epoch);
        Assert.True(keys.TryCreate(epoch, "sealed-first"u8, first));
        Assert.True(keys.TryLoadSealedKey(epoch, out var sealedKey));
        Assert.Equal("sealed-first"u8.ToArray(), sealedKey);

        // A second creation (another host, the same epoch) stores nothing; the first key stays.
        Assert.False(keys.TryCreate(epoch, "sealed-second"u8, Set(epoch)));
        Assert.True(keys.TryLoadSealedKey(epoch, out sealedKey));
        Assert.Equal("sealed-first"u8.ToArray(), sealedKey);
        Assert.True(keys.TryLoadWrappedSet(epoch, out var set));
        Assert.Equal(first.ToJson(), set.ToJson());

        // With a set stored, the sealed key is no leftover.
        keys.DestroyLeftoverSealedKey(epoch);
        Assert.True(keys.TryLoadSealedKey(epoch, out _));

        // The epochs with a wrapped set are listed per participant; a set of another epoch is refused.
        Assert.True(keys.TryCreate(new EpochId(UTokyo, 2958), "sealed-older"u8, Set(new EpochId(UTokyo, 2958))));
        Assert.Equal([new EpochId(UTokyo, 2958), epoch], keys.WrappedSetEpochs(UTokyo));
        Assert.Empty(keys.WrappedSetEpochs(Kyoto));
        Assert.Throws<ArgumentException>(() => keys.TryCreate(new EpochId(UTokyo, 2961), "sealed-other"u8.ToArray(), first));
        Assert.False(keys.TryLoadSealedKey(new EpochId(UTokyo, 2961), out _));
    }

    private static WrappedKeySet Set(EpochId epoch)
    {
        using var key = EpochKey.Create(epoch);
        return new WrappedKeySet(KeyCommitment.Compute(key), [KeyWrapper.Wrap(key, s_certificate.Value)]);
    }

    private static byte[] Sealed(EpochId epoch) => System.Text.Encoding.ASCII.GetBytes($"sealed-under-the-kek:{epoch}");
}

public sealed class FileKeyStoreContract : KeyStoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socs-contract-").FullName;

    private protected override Task<(IKeyStore Keys, IWrappedKeyStore Wrapped)> OpenAsync() =>
        Task.FromResult<(IKeyStore, IWrappedKeyStore)>((new FileKeyStore(_dir), new WrappedKeyDirectory(_dir)));

    protected override Task CleanupAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(ClusterTests.Name)]
public sealed class PostgreSqlKeyStoreContract(ClusterFixture cluster) : KeyStoreContract
{
    private readonly ClusterSchema _schema = new(cluster);

    private protected override async Task<(IKeyStore Keys, IWrappedKeyStore Wrapped)> OpenAsync()
    {
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");
        var keys = (await _schema.OpenAsync()).Keys();
        return (keys, keys);
    }

    protected override Task CleanupAsync() => _schema.DropAsync();

    [Fact]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R7.3")]
    public async Task An_analyzed_key_partition_samples_no_sealed_key_into_pg_statistic()
    {
        // The schema is dropped by DisposeAsync.
        var (keys, _) = await OpenAsync();
        keys.SaveSealedKey(new EpochId(UTokyo, 3), RandomNumberGenerator.GetBytes(48));
        var table = PostgreSqlKeyStore.TableOf(UTokyo, 3, PostgreSqlKeyStore.SealedKind);
        var leader = await cluster.LeaderAsync();
        Assert.NotNull(await cluster.ScalarAsync(leader, $"ANALYZE {_schema.Name}.{table}; SELECT 1"));
        var columns = Assert.IsType<string>(await cluster.ScalarAsync(leader, $"SELECT string_agg(attname, ' ' ORDER BY attname) FROM pg_stats WHERE schemaname = '{_schema.Name}' AND tablename = '{table}'")).Split(' ');
        Assert.Contains("participant", columns);
        Assert.DoesNotContain("body", columns);
    }
}
