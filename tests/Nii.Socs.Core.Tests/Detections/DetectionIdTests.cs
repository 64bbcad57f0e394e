using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Detections;

namespace Nii.Socs.Core.Tests.Detections;

/// <summary>Ids derived from a record's source: the same source gives the same id, and ids keep the version-7 shape and order.</summary>
public sealed class DetectionIdTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    [Trait("Requirement", "R4.4")]
    public void The_same_source_gives_the_same_id_and_another_source_another()
    {
        var a = DetectionId.FromSource(T0, "file-1/frame-7/sid-1/u-tokyo"u8);
        Assert.Equal(a, DetectionId.FromSource(T0, "file-1/frame-7/sid-1/u-tokyo"u8));
        Assert.NotEqual(a, DetectionId.FromSource(T0, "file-1/frame-7/sid-1/kyoto-u"u8));
        Assert.NotEqual(a, DetectionId.FromSource(T0, "file-1/frame-8/sid-1/u-tokyo"u8));
        Assert.Equal(7, a.Value.Version);
        Assert.Equal(0x8, a.Value.Variant & 0xC);
    }

    [Fact]
    public void The_id_names_its_millisecond_as_a_version_7_uuid_does_and_clamps_times_before_1970()
    {
        Span<byte> bytes = stackalloc byte[16];
        DetectionId.FromSource(T0, [1]).Value.TryWriteBytes(bytes, bigEndian: true, out _);
        long ms = 0;
        for (var i = 0; i < 6; i++)
        {
            ms = (ms << 8) | bytes[i];
        }

        Assert.Equal(T0.ToUnixTimeMilliseconds(), ms);
        DetectionId.FromSource(DateTimeOffset.UnixEpoch.AddDays(-1), [1]).Value.TryWriteBytes(bytes, bigEndian: true, out _);
        Assert.Equal(0, bytes[..6].ToArray().Sum(b => b));
    }

    [Property]
    public Property R4_4_derived_ids_sort_by_observation_millisecond(long a, long b)
    {
        var first = DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Abs(a % 4_000_000_000_000));
        var second = DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Abs(b % 4_000_000_000_000));
        var x = DetectionId.FromSource(first, BitConverter.GetBytes(a));
        var y = DetectionId.FromSource(second, BitConverter.GetBytes(b));
        var ordered = first == second || (first < second) == (string.CompareOrdinal(x.ToString(), y.ToString()) < 0);
        return ordered.ToProperty();
    }
}
