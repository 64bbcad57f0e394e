using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Core.Tests.Storage.Keys;

namespace Nii.Socs.Core.Tests.Keys;

public sealed class KeyRotationRecordTests : IDisposable
{
    private static readonly ParticipantId s_tokyo = new("u-tokyo");

    // Monday 2026-11-30 12:00 JST.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _kekDirectory = new();

    public void Dispose()
    {
        _data.Dispose();
        _kekDirectory.Dispose();
    }

    [Fact]
    public async Task A_real_rotation_writes_creation_then_destruction_with_the_epoch_bounds()
    {
        using var kek = FileKeyEncryptionKey.Create(Path.Combine(_kekDirectory.Path, "host.kek"));
        var schedule = EpochSchedule.WeeklyFromMondayJst;
        using var ring = new KeyRing(schedule, new FileKeyStore(_data.Path), kek, new OneCertificate(), _time);
        await using var history = OperationHistoryStore.Open(_data.Path, _time);

        var first = ring.EnsureCurrent(s_tokyo);
        var created = await KeyRotationRecord.AppendAsync(history, first, schedule);
        _time.Advance(TimeSpan.FromDays(7));
        var second = ring.EnsureCurrent(s_tokyo);
        var rotated = await KeyRotationRecord.AppendAsync(history, second, schedule);
        var unchanged = await KeyRotationRecord.AppendAsync(history, ring.EnsureCurrent(s_tokyo), schedule);

        var only = Assert.Single(created);
        Assert.Equal(KeyRotationRecord.CreatedAction, only.Action);
        Assert.Equal("start=2026-11-30T00:00:00+09:00;end=2026-12-07T00:00:00+09:00", only.Details);
        Assert.Equal([KeyRotationRecord.DestroyedAction, KeyRotationRecord.CreatedAction], rotated.Select(e => e.Action));
        Assert.Equal(KeyRotationRecord.SubjectOf(first.Current), rotated[0].Subject);
        Assert.Equal("end=2026-12-07T00:00:00+09:00", rotated[0].Details);
        Assert.Empty(unchanged);
        Assert.True(KeyRotationRecord.TryParseSubject(rotated[1].Subject, out var parsed));
        Assert.Equal(second.Current, parsed);
    }

    [Theory]
    [InlineData("keys/u-tokyo/x")]
    [InlineData("keys/u-tokyo")]
    [InlineData("detections/u-tokyo/2026-01")]
    [InlineData("keys/u-tokyo/-1")]
    public void Other_subjects_are_not_epochs(string subject) => Assert.False(KeyRotationRecord.TryParseSubject(subject, out _));

    private sealed class OneCertificate : IActiveCertificates
    {
        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant) => [TestCertificates.X25519.Certificate];
    }
}
