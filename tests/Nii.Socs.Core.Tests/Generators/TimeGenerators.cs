using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Generators;

/// <summary>Realistic instants 1955–2099, biased to JST midnights and month ends (STYLE §8).</summary>
public static class TimeGenerators
{
    private static readonly DateTimeOffset s_origin = new(1955, 1, 1, 0, 0, 0, Jst.Offset);
    private static readonly int s_days = (int)(new DateTimeOffset(2099, 12, 1, 0, 0, 0, Jst.Offset) - s_origin).TotalDays;

    public static Gen<DateTimeOffset> Uniform =>
        from day in Gen.Choose(0, s_days)
        from second in Gen.Choose(0, 86_399)
        from tick in Gen.Choose(0, 9_999_999)
        select s_origin.AddDays(day).AddSeconds(second).AddTicks(tick).ToUniversalTime();

    public static Gen<DateTimeOffset> JstMidnights =>
        from day in Gen.Choose(0, s_days)
        from nudge in Gen.Elements(-1L, 0L, 1L, 0L)
        select s_origin.AddDays(day).AddTicks(nudge).ToUniversalTime();

    public static Gen<DateTimeOffset> MonthEnds =>
        from month in Gen.Choose(0, (2099 - 1955) * 12)
        from secondsBefore in Gen.Choose(0, 12 * 3600)
        select new JstMonth(1955, 1).Plus(month + 1).Start.AddSeconds(-secondsBefore).ToUniversalTime();

    public static Gen<DateTimeOffset> Instants => Gen.OneOf(Uniform, Uniform, JstMidnights, MonthEnds);

    public static Gen<DateOnly> Dates =>
        from day in Gen.Choose(0, s_days)
        select DateOnly.FromDateTime(s_origin.AddDays(day).DateTime);

    public static Arbitrary<DateTimeOffset> DateTimeOffsetArb() => Arb.From(Instants);

    public static Arbitrary<DateOnly> DateOnlyArb() => Arb.From(Dates);
}
