using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Sealing;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

public sealed class KeyRingTests : IDisposable
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");

    // Monday 2026-11-30 12:00 JST.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _kekDirectory = new();
    private readonly Certificates _certificates = new([TestCertificates.Rsa.Certificate, TestCertificates.X25519.Certificate]);
    private readonly FileKeyEncryptionKey _kek;
    private readonly FileKeyStore _store;

    public KeyRingTests()
    {
        _kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "host.kek"));
        _store = new FileKeyStore(_data.Path);
    }

    public void Dispose()
    {
        _kek.Dispose();
        _data.Dispose();
        _kekDirectory.Dispose();
    }

    private KeyRing NewRing() => new(EpochSchedule.WeeklyFromMondayJst, _store, _kek, _certificates, _time);

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void R8_4_old_key_bytes_are_nowhere_under_the_data_directory_after_rotation()
    {
        using var ring = NewRing();
        var first = ring.Current(s_tokyo);
        var epoch = first.Epoch;
        var oldKey = first.Bytes.ToArray();
        Assert.True(_store.TryLoadSealedKey(epoch, out var oldSealed));

        // Write records sealed under the key, as the detection store would.
        var records = new List<(SealingContext Context, byte[] Blob)>();
        for (var i = 0; i < 20; i++)
        {
            var context = SealingContext.For(epoch, DetectionId.New(_time.GetUtcNow()), ContentSealerProperties.Header((ushort)(1000 + i)));
            var blob = ContentSealer.Default.Seal(first, context, Encoding.UTF8.GetBytes($"GET /private/{i} HTTP/1.1"));
            records.Add((context, blob));
            var path = Path.Combine(_data.Path, "detections", s_tokyo.Value, "2026-11", $"{context.Record}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, blob);
        }

        var backing = first.BackingArrayForTests;
        _time.Advance(TimeSpan.FromDays(7));
        var rotation = ring.EnsureCurrent(s_tokyo);

        Assert.Equal(epoch with { Index = epoch.Index + 1 }, rotation.Current);
        Assert.True(rotation.Created);
        Assert.Equal([epoch], rotation.Destroyed);
        Assert.True(first.IsDestroyed);
        Assert.All(backing, b => Assert.Equal(0, b));
        Assert.False(_store.TryLoadSealedKey(epoch, out _));

        // Every byte of every file under the data directory and the key store: the old key in any
        // encoding, and its sealed copy (whole, or its nonce and ciphertext), are found nowhere.
        var needles = new List<(string Name, byte[] Bytes)>
        {
            ("raw key", oldKey),
            ("hex key", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(oldKey))),
            ("HEX key", Encoding.ASCII.GetBytes(Convert.ToHexString(oldKey))),
            ("base64 key", Encoding.ASCII.GetBytes(Convert.ToBase64String(oldKey))),
            ("sealed copy", oldSealed),
            ("sealed copy body", oldSealed[1..]),
            ("base64 sealed copy", Encoding.ASCII.GetBytes(Convert.ToBase64String(oldSealed))),
        };
        var files = Directory.EnumerateFiles(_data.Path, "*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(_kekDirectory.Path, "*", SearchOption.AllDirectories)).ToList();
        Assert.True(files.Count >= 24, $"only {files.Count} files scanned");
        foreach (var file in files)
        {
            var content = File.ReadAllBytes(file);
            foreach (var (name, bytes) in needles)
            {
                Assert.True(content.AsSpan().IndexOf(bytes) < 0, $"{name} found in {file}");
            }
        }

        // Only the wrapped forms remain, and from them the participant alone recovers the key.
        Assert.True(_store.TryLoadWrappedSet(epoch, out var set));
        using var privateKey = ParticipantPrivateKey.Load(TestCertificates.X25519.Pkcs8, null);
        Assert.True(privateKey.TryUnwrap(set, out var recovered, out var failure), failure.ToString());
        using (recovered)
        {
            Assert.Equal(oldKey, recovered.Bytes.ToArray());
            foreach (var (context, blob) in records)
            {
                Assert.True(ContentSealer.TryOpen(recovered, context, blob, out _, out _));
            }
        }
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void Current_key_survives_a_restart_only_through_its_sealed_copy()
    {
        byte[] before;
        using (var ring = NewRing())
        {
            var rotation = ring.EnsureCurrent(s_tokyo);
            Assert.True(rotation.Created);
            before = ring.Current(s_tokyo).Bytes.ToArray();
        }

        using var restarted = NewRing();
        var again = restarted.EnsureCurrent(s_tokyo);
        Assert.False(again.Created);
        Assert.Empty(again.Destroyed);
        Assert.Equal(before, restarted.Current(s_tokyo).Bytes.ToArray());
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void Host_down_across_a_boundary_destroys_the_stale_sealed_copy_at_start()
    {
        EpochId old;
        using (var ring = NewRing())
        {
            old = ring.EnsureCurrent(s_tokyo).Current;
        }

        _time.Advance(TimeSpan.FromDays(15));
        using var restarted = NewRing();
        var rotation = restarted.EnsureCurrent(s_tokyo);
        Assert.True(rotation.Created);
        Assert.Equal([old], rotation.Destroyed);
        Assert.Equal(old.Index + 2, rotation.Current.Index);
        Assert.Equal([rotation.Current], _store.SealedKeyEpochs(s_tokyo));
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public void After_certificate_renewal_new_epochs_wrap_to_the_new_certificate_only()
    {
        using var ring = NewRing();
        var first = ring.EnsureCurrent(s_tokyo).Current;
        _certificates.Replace([TestCertificates.P256.Certificate]);
        _time.Advance(TimeSpan.FromDays(7));
        var second = ring.EnsureCurrent(s_tokyo).Current;
        Assert.True(_store.TryLoadWrappedSet(first, out var oldSet));
        Assert.True(_store.TryLoadWrappedSet(second, out var newSet));
        Assert.Equal(2, oldSet.Wrapped.Count);
        Assert.Equal([KeyWrapper.Thumbprint(TestCertificates.P256.Certificate)], newSet.Wrapped.Select(w => w.Thumbprint));
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void A_wrapped_key_whose_sealed_copy_is_lost_is_never_replaced()
    {
        EpochId epoch;
        string wrappedJson;
        using (var ring = NewRing())
        {
            epoch = ring.EnsureCurrent(s_tokyo).Current;
            Assert.True(_store.TryLoadWrappedSet(epoch, out var set));
            wrappedJson = set.ToJson();
        }

        _store.DestroySealedKey(epoch);
        using var restarted = NewRing();
        Assert.Throws<InvalidOperationException>(() => restarted.Current(s_tokyo));
        Assert.True(_store.TryLoadWrappedSet(epoch, out var kept));
        Assert.Equal(wrappedJson, kept.ToJson());
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void A_sealed_copy_left_without_its_wrapped_set_is_destroyed_before_a_new_key_is_made()
    {
        var epoch = EpochSchedule.WeeklyFromMondayJst.EpochOf(s_tokyo, _time.GetUtcNow());
        var orphan = _kek.Seal(new byte[32], "orphan"u8);
        _store.SaveSealedKey(epoch, orphan);
        using var ring = NewRing();
        var rotation = ring.EnsureCurrent(s_tokyo);
        Assert.True(rotation.Created);
        Assert.True(_store.TryLoadSealedKey(epoch, out var now));
        Assert.NotEqual(orphan, now);
        Assert.True(_store.TryLoadWrappedSet(epoch, out _));
    }

    [Fact]
    public void Same_epoch_returns_the_same_key_and_a_participant_without_certificates_gets_none()
    {
        using var ring = NewRing();
        Assert.Same(ring.Current(s_tokyo), ring.Current(s_tokyo));
        _certificates.Replace([]);
        Assert.Throws<ArgumentException>(() => ring.Current(new ParticipantId("kyoto-u")));
        Assert.True(ring.EnsureCurrent(new ParticipantId("kyoto-u")).NoCertificate);
        Assert.Empty(_store.SealedKeyEpochs(new ParticipantId("kyoto-u")));
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void R8_4_a_clock_that_steps_back_across_a_monday_never_destroys_the_later_key_and_sealing_goes_on()
    {
        var clock = new SteppingClock { Now = _time.GetUtcNow() };
        using var ring = new KeyRing(EpochSchedule.WeeklyFromMondayJst, _store, _kek, _certificates, clock);
        var first = ring.Current(s_tokyo).Epoch;
        clock.Now = clock.Now.AddDays(7);
        var later = ring.EnsureCurrent(s_tokyo);
        Assert.Equal(first.Index + 1, later.Current.Index);

        // The clock steps back a week (NTP correction, a bad RTC): the later key stays current.
        clock.Now = clock.Now.AddDays(-7);
        var behind = ring.EnsureCurrent(s_tokyo);
        Assert.True(behind.ClockBehind);
        Assert.Equal(later.Current, behind.Current);
        Assert.Empty(behind.Destroyed);
        Assert.Equal(later.Current, ring.Current(s_tokyo).Epoch);
        Assert.Equal([later.Current], _store.SealedKeyEpochs(s_tokyo));

        // So does a restart while the clock is behind.
        using var restarted = new KeyRing(EpochSchedule.WeeklyFromMondayJst, _store, _kek, _certificates, clock);
        var afterRestart = restarted.EnsureCurrent(s_tokyo);
        Assert.Equal(later.Current, afterRestart.Current);
        Assert.True(afterRestart.ClockBehind);
        Assert.False(afterRestart.Created);
        Assert.Equal([later.Current], _store.SealedKeyEpochs(s_tokyo));

        // When the clock passes it again, rotation is as always.
        clock.Now = clock.Now.AddDays(14);
        var next = restarted.EnsureCurrent(s_tokyo);
        Assert.False(next.ClockBehind);
        Assert.Equal([later.Current], next.Destroyed);
    }

    private sealed class SteppingClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    [Trait("Requirement", "R8.1")]
    public void R8_4_without_an_active_certificate_the_old_key_is_destroyed_on_schedule_and_no_key_is_made()
    {
        using var ring = NewRing();
        var first = ring.Current(s_tokyo).Epoch;
        _certificates.Replace([]);
        _time.Advance(TimeSpan.FromDays(7));
        var rotation = ring.EnsureCurrent(s_tokyo);
        Assert.True(rotation.NoCertificate);
        Assert.Equal([first], rotation.Destroyed);
        Assert.Empty(_store.SealedKeyEpochs(s_tokyo));
        Assert.False(ring.TryCurrent(s_tokyo, out _));
        Assert.False(_store.TryLoadWrappedSet(rotation.Current, out _));

        // A certificate enrolled mid-epoch: the key of this epoch is made at once.
        _certificates.Replace([TestCertificates.X25519.Certificate]);
        var enrolled = ring.WrapCurrent(s_tokyo);
        Assert.True(enrolled.Created);
        Assert.True(ring.TryCurrent(s_tokyo, out var key));
        Assert.Equal(rotation.Current, key.Epoch);
    }

    [Fact]
    [Trait("Requirement", "R8.1")]
    public void R8_1_a_certificate_added_mid_epoch_is_wrapped_the_current_key_at_once_and_a_revoked_one_dropped()
    {
        _certificates.Replace([TestCertificates.Rsa.Certificate]);
        using var ring = NewRing();
        var key = ring.Current(s_tokyo);
        Assert.True(_store.TryLoadWrappedSet(key.Epoch, out var before));
        Assert.Single(before.Wrapped);

        _certificates.Replace([TestCertificates.Rsa.Certificate, TestCertificates.X25519.Certificate]);
        var added = ring.WrapCurrent(s_tokyo);
        Assert.True(added.Rewrapped);
        Assert.False(added.Created);
        Assert.True(_store.TryLoadWrappedSet(key.Epoch, out var after));
        Assert.Equal(2, after.Wrapped.Count);
        Assert.True(after.Commitment.Matches(key.Bytes));
        using (var x25519 = ParticipantPrivateKey.Load(TestCertificates.X25519.Pkcs8, null))
        {
            Assert.True(x25519.TryUnwrap(after, out var unwrapped, out var failure), failure.ToString());
            Assert.True(unwrapped!.Bytes.SequenceEqual(key.Bytes));
            unwrapped.Dispose();
        }

        _certificates.Replace([TestCertificates.X25519.Certificate]);
        ring.WrapCurrent(s_tokyo);
        Assert.True(_store.TryLoadWrappedSet(key.Epoch, out var revoked));
        Assert.Equal([KeyWrapper.Thumbprint(TestCertificates.X25519.Certificate)], revoked.Wrapped.Select(w => w.Thumbprint));
    }

    private sealed class Certificates(IReadOnlyList<X509Certificate2> initial) : IActiveCertificates
    {
        private IReadOnlyList<X509Certificate2> _current = initial;

        public void Replace(IReadOnlyList<X509Certificate2> certificates) => _current = certificates;

        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => _current;
    }
}
