using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Generators;

/// <summary>Generators for the Keys and Sealing properties: instants 1955–2099 biased to JST midnights, participant ids.</summary>
public static class KeysArbitraries
{
    private static readonly DateTimeOffset s_first = new(1955, 1, 1, 0, 0, 0, Jst.Offset);
    private const int Days = 53_000; // 1955-01-01 to 2100-02.

    /// <summary>Instants: a third exactly at a JST midnight, a third one tick either side, a third anywhere.</summary>
    public static Arbitrary<DateTimeOffset> Instants()
    {
        var day = Gen.Choose(0, Days).Select(d => s_first.AddDays(d));
        var midnight = day;
        var nearMidnight = from d in day from sign in Gen.Elements(-1L, 1L) select d.AddTicks(sign);
        var anywhere = from d in day
                       from s in Gen.Choose(0, 86_399)
                       from t in Gen.Choose(0, 9_999_999)
                       select d.AddSeconds(s).AddTicks(t);
        var gen = Gen.OneOf(midnight, nearMidnight, anywhere).Select(i => i.ToUniversalTime());
        return Arb.From(gen);
    }

    /// <summary>Realistic participant ids.</summary>
    public static Arbitrary<ParticipantId> Participants()
    {
        var named = Gen.Elements("u-tokyo", "kyoto-u", "nii", "tohoku-u", "a", "x9");
        var made = from n in Gen.Choose(1, 40)
                   from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789-".ToCharArray()), n)
                   select "p" + new string(chars);
        return Arb.From(Gen.OneOf(named, made).Select(s => new ParticipantId(s)));
    }
}
