using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Tests.Generators;

namespace Nii.Socs.Core.Tests.Scope;

/// <summary>IPPrefix holds its bits in two halves and reads plain dotted quads itself (start-up without the JIT); these
/// compare it with the UInt128 arithmetic and the <see cref="IPAddress"/> parse it replaced.</summary>
public class IPPrefixProperties
{
    private static readonly Gen<string> Part = Gen.Frequency(
        (8, Gen.Choose(0, 255).Select(v => v.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Choose(0, 300).Select(v => v.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Choose(0, 255).Select(v => "0" + v.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Choose(0, 255).Select(v => "0x" + v.ToString("x", CultureInfo.InvariantCulture))),
        (1, Gen.Elements("", "0000", "1a", " 1", "+1", "\u0663", "ff")));

    private static readonly Gen<string> Group = Gen.Frequency(
        (8, Gen.Choose(0, 0xFFFF).Select(v => v.ToString("x", CultureInfo.InvariantCulture))),
        (2, Gen.Choose(0, 0xFFFF).Select(v => v.ToString("X4", CultureInfo.InvariantCulture))),
        (1, Gen.Choose(0, 0xFFFF).Select(v => "0" + v.ToString("x4", CultureInfo.InvariantCulture))),
        (1, Gen.Elements("", "g", "1.2.3.4", "192.0.2.1", "%eth0", "[1", "1]", "-1", " a")));

    /// <summary>IPv6-like text: 1–9 groups, sometimes one or two <c>::</c> at any place, sometimes stray colons.</summary>
    private static readonly Gen<string> V6Text =
        from count in Gen.Frequency((3, Gen.Constant(8)), (4, Gen.Choose(0, 7)), (1, Gen.Choose(8, 9)))
        from groups in Gen.ArrayOf(Group, count)
        from gaps in Gen.Frequency((2, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2)))
        from at in Gen.ArrayOf(Gen.Choose(0, count), gaps)
        from stray in Gen.Frequency((12, Gen.Constant("")), (1, Gen.Elements(":", ":::")))
        from length in Gen.Elements("", "/0", "/48", "/64", "/127", "/128", "/129", "/", "/0x")
        select stray + string.Concat(groups.Select((g, i) => (at.Contains(i) ? "::" : i == 0 ? "" : ":") + g)) + (at.Contains(count) ? "::" : "") + length;

    private static readonly Gen<string> V4Text =
        from count in Gen.Frequency((6, Gen.Constant(4)), (1, Gen.Choose(1, 8)))
        from parts in Gen.ArrayOf(Part, count)
        from separator in Gen.Frequency((8, Gen.Constant(".")), (1, Gen.Constant("..")), (1, Gen.Constant(":")), (1, Gen.Constant("::")))
        from length in Gen.Elements("", "/0", "/8", "/24", "/32", "/33", "/024", "/", "/x", "/1234", "/128")
        from pad in Gen.Elements("", " ", "\t")
        select pad + string.Join(separator, parts) + length + pad;

    private static readonly Gen<string> Text = Gen.Frequency((3, V4Text), (2, V6Text));

    [Property(MaxTest = 3000)]
    [Trait("Requirement", "R5.1")]
    public Property R5_1_prefix_text_parses_as_IPAddress_reads_it() =>
        Prop.ForAll(Text.ToArbitrary(), text =>
        {
            var parsed = IPPrefix.TryParse(text, out var prefix);
            var expected = Reference(text);
            return (parsed == expected.HasValue && (!parsed || prefix == expected!.Value)).Label($"'{text}': {parsed} {prefix} vs {expected}");
        });

    [Property(MaxTest = 500)]
    [Trait("Requirement", "R5.1")]
    public Property R5_1_contains_and_overlaps_agree_with_128_bit_masks()
    {
        var gen =
            from v6 in Gen.Elements(false, true)
            from bits in ScopeGenerators.Bits(v6)
            from length in Gen.Choose(0, v6 ? 128 : 32)
            from otherBits in ScopeGenerators.Bits(v6)
            from otherLength in Gen.Choose(0, v6 ? 128 : 32)
            select (v6, bits, length, otherBits, otherLength);
        return Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (v6, bits, length, otherBits, otherLength) = input;
            var prefix = IPPrefix.FromBits(v6, bits, length);
            var other = IPPrefix.FromBits(v6, otherBits, otherLength);
            var shorter = Mask(v6, Math.Min(length, otherLength));
            return (prefix.Bits == (bits & Mask(v6, length))
                    && prefix.Contains(v6, otherBits) == ((otherBits & Mask(v6, length)) == prefix.Bits)
                    && !prefix.Contains(!v6, otherBits)
                    && prefix.Overlaps(other) == ((bits & shorter) == (otherBits & shorter)))
                .Label($"{prefix} {other}");
        });
    }

    /// <summary>The parse as it was: <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>, three dots for IPv4, 0–width.</summary>
    private static IPPrefix? Reference(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim();
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3))
        {
            return null;
        }

        var width = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = width;
        if (slash >= 0)
        {
            var lengthText = trimmed[(slash + 1)..];
            if (lengthText.Length is 0 or > 3
                || !lengthText.All(char.IsAsciiDigit)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length)
                || length > width)
            {
                return null;
            }
        }

        return IPPrefix.Create(address, length);
    }

    private static UInt128 Mask(bool v6, int length)
    {
        var width = v6 ? 128 : 32;
        var all = v6 ? UInt128.MaxValue : uint.MaxValue;
        return length == 0 ? UInt128.Zero : (all << (width - length)) & all;
    }
}
