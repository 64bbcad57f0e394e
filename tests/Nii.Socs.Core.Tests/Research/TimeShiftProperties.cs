using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Core.Tests.Research;

/// <summary>The time randomisation keeps order and spacing (R9.1).</summary>
public class TimeShiftProperties
{
    // Instants from 1955 to 2099 (STYLE §8), as ticks.
    private static readonly long s_min = new DateTimeOffset(1955, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
    private static readonly long s_max = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    private static DateTimeOffset Instant(ulong raw) => new(s_min + (long)(raw % (ulong)(s_max - s_min)), TimeSpan.Zero);

    private static ResearchSecret Secret(ulong a, ulong b)
    {
        var bytes = new byte[32];
        BitConverter.TryWriteBytes(bytes, a);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), b);
        return ResearchSecret.FromBytes(bytes);
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_time_shift_preserves_order_and_differences(ulong s1, ulong s2, ulong rawA, ulong rawB, ushort maxDays)
    {
        using var secret = Secret(s1, s2);
        var settings = new TimeRandomization { MaxShift = TimeSpan.FromDays(1 + (maxDays % 3650)) };
        var shift = new TimeShift(secret.DeriveTimeShift(settings), null);
        var a = Instant(rawA);
        var b = Instant(rawB);
        var sa = shift.Apply(a);
        var sb = shift.Apply(b);
        return (sb - sa == b - a).Label("difference kept")
            .And((a < b) == (sa < sb)).Label("order kept")
            .And(sa != a || shift.Shift == TimeSpan.Zero).Label("times moved");
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_shift_stays_within_its_bound_and_is_a_multiple_of_the_unit(ulong s1, ulong s2, ushort maxDays, byte unitChoice)
    {
        using var secret = Secret(s1, s2);
        var units = new[] { TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromDays(1), TimeSpan.FromDays(7) };
        var settings = new TimeRandomization { MaxShift = TimeSpan.FromDays(7 + (maxDays % 3650)), ShiftUnit = units[unitChoice % units.Length] };
        var shift = secret.DeriveTimeShift(settings);
        return (shift.Duration() <= settings.MaxShift).Label("within bound")
            .And(shift.Ticks % settings.ShiftUnit.Ticks == 0).Label("multiple of unit");
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_bucketed_times_keep_order_and_sit_on_bucket_boundaries(ulong s1, ulong s2, ulong rawA, ulong rawB, ushort bucketSeconds)
    {
        using var secret = Secret(s1, s2);
        var bucket = TimeSpan.FromSeconds(1 + (bucketSeconds % 3600));
        var shift = new TimeShift(secret.DeriveTimeShift(TimeRandomization.Default), bucket);
        var a = Instant(rawA);
        var b = Instant(rawB);
        var sa = shift.Apply(a);
        var sb = shift.Apply(b);
        var onBoundary = (sa.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % bucket.Ticks == 0;
        var withinBucket = (a + shift.Shift - sa) >= TimeSpan.Zero && (a + shift.Shift - sa) < bucket;
        return (a > b || sa <= sb).Label("order kept (ties allowed)")
            .And(onBoundary).Label("on a boundary")
            .And(withinBucket).Label("floored, not rounded");
    }

    [Fact]
    public void Same_secret_gives_same_shift_and_different_secrets_differ()
    {
        using var one = Secret(1, 2);
        using var same = Secret(1, 2);
        using var other = Secret(3, 4);
        Assert.Equal(one.DeriveTimeShift(TimeRandomization.Default), same.DeriveTimeShift(TimeRandomization.Default));
        Assert.NotEqual(one.DeriveTimeShift(TimeRandomization.Default), other.DeriveTimeShift(TimeRandomization.Default));
    }

    [Fact]
    public void Bucket_floors_before_1970_too()
    {
        var shift = new TimeShift(TimeSpan.Zero, TimeSpan.FromMinutes(1));
        var t = new DateTimeOffset(1969, 12, 31, 23, 59, 30, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(1969, 12, 31, 23, 59, 0, TimeSpan.Zero), shift.Apply(t));
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeRandomization { MaxShift = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeRandomization { ShiftUnit = TimeSpan.FromDays(400) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeRandomization { Bucket = TimeSpan.FromDays(2) }.Validate());
    }
}
