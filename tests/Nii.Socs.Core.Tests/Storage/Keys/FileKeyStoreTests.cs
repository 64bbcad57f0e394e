using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Keys;

namespace Nii.Socs.Core.Tests.Storage.Keys;

public class FileKeyStoreTests
{
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2969);

    [Fact]
    public void Wrapped_set_round_trips_under_keys_participant_epoch()
    {
        using var dir = new TempDirectory();
        var store = new FileKeyStore(dir.Path);
        using var key = EpochKey.Create(s_epoch);
        var set = KeyWrapper.WrapToAll(key, [TestCertificates.P256.Certificate]);
        store.SaveWrappedSet(set);
        Assert.True(File.Exists(Path.Combine(dir.Path, "keys", "u-tokyo", "2969", "wrapped.json")));
        Assert.True(store.TryLoadWrappedSet(s_epoch, out var back));
        Assert.Equal(set.ToJson(), back.ToJson());
        Assert.False(store.TryLoadWrappedSet(s_epoch with { Index = 1 }, out _));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Sealed_key_is_listed_until_destroyed_and_then_gone()
    {
        using var dir = new TempDirectory();
        var store = new FileKeyStore(dir.Path);
        store.SaveSealedKey(s_epoch, [1, 2, 3]);
        store.SaveSealedKey(s_epoch with { Index = -3 }, [4]);
        Assert.Equal([-3L, 2969L], store.SealedKeyEpochs(s_epoch.Participant).Select(e => e.Index));
        Assert.True(store.TryLoadSealedKey(s_epoch, out var bytes));
        Assert.Equal([1, 2, 3], bytes);
        store.DestroySealedKey(s_epoch);
        store.DestroySealedKey(s_epoch); // idempotent
        Assert.False(store.TryLoadSealedKey(s_epoch, out _));
        Assert.Equal([-3L], store.SealedKeyEpochs(s_epoch.Participant).Select(e => e.Index));
    }

    [Fact]
    public void Corrupt_wrapped_set_is_reported_with_its_path()
    {
        using var dir = new TempDirectory();
        var store = new FileKeyStore(dir.Path);
        var path = Path.Combine(dir.Path, "keys", "u-tokyo", "2969", "wrapped.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{\"participant\":\"u-tokyo\"}");
        var ex = Assert.Throws<InvalidDataException>(() => store.TryLoadWrappedSet(s_epoch, out _));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kek_opens_only_its_own_sealed_copy_for_the_same_epoch()
    {
        using var dir = new TempDirectory();
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(dir.Path, "kek"));
        using var other = FileKeyEncryptionKey.Create(Path.Combine(dir.Path, "kek2"));
        var secret = new byte[32];
        secret[0] = 42;
        var sealedKey = kek.Seal(secret, "u-tokyo#1"u8);
        var into = new byte[64];
        Assert.True(kek.TryOpen(sealedKey, "u-tokyo#1"u8, into, out var n));
        Assert.Equal(secret, into[..n]);
        Assert.False(kek.TryOpen(sealedKey, "u-tokyo#2"u8, into, out _));
        Assert.False(other.TryOpen(sealedKey, "u-tokyo#1"u8, into, out _));
        sealedKey[^1] ^= 1;
        Assert.False(kek.TryOpen(sealedKey, "u-tokyo#1"u8, into, out _));
        Assert.Equal(32, File.ReadAllBytes(Path.Combine(dir.Path, "kek")).Length);
        using var reloaded = FileKeyEncryptionKey.Load(Path.Combine(dir.Path, "kek"));
        Assert.True(reloaded.TryOpen(kek.Seal(secret, "a"u8), "a"u8, into, out _));
        File.WriteAllBytes(Path.Combine(dir.Path, "short"), new byte[31]);
        Assert.Throws<InvalidDataException>(() => FileKeyEncryptionKey.Load(Path.Combine(dir.Path, "short")));
    }
}
