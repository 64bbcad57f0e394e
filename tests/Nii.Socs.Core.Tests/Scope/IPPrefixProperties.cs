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

    private static readonly Gen<string> Text =
        from count in Gen.Frequency((6, Gen.Constant(4)), (1, Gen.Choose(1, 8)))
        from parts in Gen.ArrayOf(Part, count)
        from separator in Gen.Frequency((8, Gen.Constant(".")), (1, Gen.Constant("..")), (1, Gen.Constant(":")), (1, Gen.Constant("::")))
        from length in Gen.Elements("", "/0", "/8", "/24", "/32", "/33", "/024", "/", "/x", "/1234", "/128")
        from pad in Gen.Elements("", " ", "\t")
        select pad + string.Join(separator, parts) + length + pad;

    [Property(MaxTest = 2000)]
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
