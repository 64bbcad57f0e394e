using System.Buffers.Binary;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Core.Tests.Research;

/// <summary>Crypto-PAn's defining property and the fast form's agreement with the textbook form (R9.1).</summary>
public class CryptoPanProperties
{
    private static byte[] Key(ulong k1, ulong k2, ulong k3, ulong k4)
    {
        var key = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(key, k1);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(8), k2);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(16), k3);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(24), k4);
        return key;
    }

    private static int SharedPrefix(uint a, uint b) => a == b ? 32 : BitOperations.LeadingZeroCount(a ^ b);

    private static int SharedPrefix(UInt128 a, UInt128 b) => a == b ? 128 : (int)UInt128.LeadingZeroCount(a ^ b);

    /// <summary>An address that shares exactly <paramref name="k"/> leading bits with <paramref name="a"/>.</summary>
    private static uint WithSharedPrefix(uint a, uint noise, int k)
    {
        if (k >= 32)
        {
            return a;
        }

        var high = k == 0 ? 0u : uint.MaxValue << (32 - k);
        var bit = 1u << (31 - k);
        return (a & high) | (~a & bit) | (noise & (bit - 1));
    }

    private static UInt128 WithSharedPrefix(UInt128 a, UInt128 noise, int k)
    {
        if (k >= 128)
        {
            return a;
        }

        var high = k == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - k);
        var bit = UInt128.One << (127 - k);
        return (a & high) | (~a & bit) | (noise & (bit - 1));
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_IPv4_pairs_sharing_exactly_k_bits_share_exactly_k_bits_after_anonymisation(
        ulong k1, ulong k2, ulong k3, ulong k4, uint a, uint noise, byte kRaw)
    {
        var k = kRaw % 33;
        var b = WithSharedPrefix(a, noise, k);
        using var pan = new CryptoPan(Key(k1, k2, k3, k4));
        var shared = SharedPrefix(pan.AnonymizeIPv4(a), pan.AnonymizeIPv4(b));
        return (SharedPrefix(a, b) == k && shared == k)
            .Label($"k={k}, shared after={shared}")
            .Classify(k == 0, "k = 0")
            .Classify(k is > 0 and < 32, "0 < k < 32")
            .Classify(k == 32, "same address");
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_IPv6_pairs_sharing_exactly_k_bits_share_exactly_k_bits_after_anonymisation(
        ulong k1, ulong k2, ulong k3, ulong k4, ulong aHigh, ulong aLow, ulong nHigh, ulong nLow, byte kRaw)
    {
        var k = kRaw % 129;
        var a = new UInt128(aHigh, aLow);
        var b = WithSharedPrefix(a, new UInt128(nHigh, nLow), k);
        using var pan = new CryptoPan(Key(k1, k2, k3, k4));
        var shared = SharedPrefix(pan.AnonymizeIPv6(a), pan.AnonymizeIPv6(b));
        return (SharedPrefix(a, b) == k && shared == k)
            .Label($"k={k}, shared after={shared}")
            .Classify(k < 64, "k < 64")
            .Classify(k >= 64, "k >= 64");
    }

    [Property]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_fast_IPv4_form_equals_the_one_AES_per_bit_form(ulong k1, ulong k2, ulong k3, ulong k4, uint[] addresses)
    {
        using var pan = new CryptoPan(Key(k1, k2, k3, k4));
        var batch = new uint[addresses.Length];
        pan.AnonymizeIPv4(addresses, batch);
        var agree = true;
        for (var i = 0; i < addresses.Length; i++)
        {
            var expected = CryptoPanReference.AnonymizeIPv4(pan, addresses[i]);
            agree &= batch[i] == expected && pan.AnonymizeIPv4(addresses[i]) == expected;
        }

        return agree.Label("batch, single and naive answers agree");
    }

    [Property(MaxTest = 50)]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_fast_IPv6_form_equals_the_one_AES_per_bit_form(ulong k1, ulong k2, ulong k3, ulong k4, (ulong High, ulong Low)[] raw)
    {
        using var pan = new CryptoPan(Key(k1, k2, k3, k4));
        var addresses = raw.Select(r => new UInt128(r.High, r.Low)).ToArray();
        var batch = new UInt128[addresses.Length];
        pan.AnonymizeIPv6(addresses, batch);
        var agree = true;
        for (var i = 0; i < addresses.Length; i++)
        {
            agree &= batch[i] == CryptoPanReference.AnonymizeIPv6(pan, addresses[i]);
        }

        return agree.Label("batch and naive answers agree");
    }

    [Property(MaxTest = 30)]
    [Trait("Requirement", "R9.1")]
    public Property R9_1_addresses_concentrated_in_one_16_bit_prefix_agree_with_the_naive_form(ulong k1, ulong k2, ushort network, ushort[] hosts)
    {
        // More than the 32 sightings after which the /16's table is built, in one batch and across calls.
        using var pan = new CryptoPan(Key(k1, k2, 5, 6));
        var addresses = hosts.Concat(hosts).Concat(Enumerable.Range(0, 40).Select(i => (ushort)(i * 1637)))
            .Select(h => ((uint)network << 16) | h).ToArray();
        var batch = new uint[addresses.Length];
        pan.AnonymizeIPv4(addresses, batch);
        var agree = true;
        for (var i = 0; i < addresses.Length; i++)
        {
            var expected = CryptoPanReference.AnonymizeIPv4(pan, addresses[i]);
            agree &= batch[i] == expected && pan.AnonymizeIPv4(addresses[i]) == expected;
        }

        return agree.Label("answers agree before and after the /16 table exists");
    }

    [Fact]
    public void More_addresses_than_one_batch_agree_with_the_naive_form()
    {
        using var pan = new CryptoPan(Key(1, 2, 3, 4));
        var addresses = Enumerable.Range(0, 1500).Select(i => (uint)(i * 2654435761u)).ToArray();
        var batch = new uint[addresses.Length];
        pan.AnonymizeIPv4(addresses, batch);
        for (var i = 0; i < addresses.Length; i++)
        {
            Assert.Equal(CryptoPanReference.AnonymizeIPv4(pan, addresses[i]), batch[i]);
        }
    }
}
