using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Core.Tests.Generators;

/// <summary>Realistic scopes: overlapping IPv4 and IPv6 prefixes from a few bases, and addresses biased into them.</summary>
public static class ScopeGenerators
{
    public static readonly string[] Participants = ["u-tokyo", "kyoto-u", "osaka-u", "tohoku-u"];

    public static Gen<UInt128> Bits(bool v6) =>
        v6
            ? from a in Gen.Choose(0, int.MaxValue)
              from b in Gen.Choose(0, int.MaxValue)
              from c in Gen.Choose(0, int.MaxValue)
              from d in Gen.Choose(0, int.MaxValue)
              select ((UInt128)(uint)a << 97) | ((UInt128)(uint)b << 66) | ((UInt128)(uint)c << 35) | (UInt128)(uint)d
            : from hi in Gen.Choose(0, 0xFFFF)
              from lo in Gen.Choose(0, 0xFFFF)
              select (UInt128)(((uint)hi << 16) | (uint)lo);

    /// <summary>A scope of up to 40 prefixes derived from 3 bases per family, so prefixes nest and overlap.</summary>
    public static Gen<ScopeAssignment[]> Scope() =>
        from bases4 in Gen.ArrayOf(Bits(false), 3)
        from bases6 in Gen.ArrayOf(Bits(true), 3)
        from count in Gen.Choose(0, 40)
        from items in Gen.ArrayOf(
            from v6 in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            from baseIndex in Gen.Choose(0, 2)
            from length in v6 ? Gen.Frequency((1, Gen.Choose(0, 128)), (4, Gen.Choose(16, 64))) : Gen.Frequency((1, Gen.Choose(0, 32)), (6, Gen.Choose(8, 30)))
            from participant in Gen.Elements(Participants)
            select new ScopeAssignment(new ParticipantId(participant), IPPrefix.FromBits(v6, v6 ? bases6[baseIndex] : bases4[baseIndex], length)),
            count)
        select items;

    /// <summary>An address: inside a prefix of the scope (host bits random) or anywhere.</summary>
    public static Gen<(bool V6, UInt128 Bits)> AddressFor(ScopeAssignment[] scope) =>
        Gen.Frequency(
            (1, from v6 in Gen.Elements(false, true) from bits in Bits(v6) select (v6, bits)),
            (scope.Length == 0 ? 0 : 3, from i in Gen.Choose(0, Math.Max(0, scope.Length - 1))
                                        from host in Bits(scope.Length > 0 && scope[i].Prefix.IsIPv6)
                                        select Inside(scope[i].Prefix, host)));

    private static (bool, UInt128) Inside(IPPrefix prefix, UInt128 host)
    {
        var width = prefix.Width;
        var hostBits = width - prefix.Length;
        var mask = hostBits == 0 ? UInt128.Zero : (hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1);
        return (prefix.IsIPv6, prefix.Bits | (host & mask));
    }
}
