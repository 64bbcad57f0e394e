using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Core.Tests.Research;

/// <summary>The published Crypto-PAn pairs (Vectors/cryptopan.json, source in Vectors/README.md).</summary>
public class CryptoPanVectorTests
{
    private static readonly JsonDocument s_vectors =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "cryptopan.json")));

    private static byte[] SampleKey => Convert.FromHexString(s_vectors.RootElement.GetProperty("key_hex").GetString()!);

    public static TheoryData<string, string> IPv4Pairs() => Pairs("ipv4");

    public static TheoryData<string, string> IPv6Pairs() => Pairs("ipv6");

    public static TheoryData<string, string, string> TextKeyPairs()
    {
        var data = new TheoryData<string, string, string>();
        var textKey = s_vectors.RootElement.GetProperty("text_key");
        foreach (var pair in textKey.GetProperty("pairs").EnumerateArray())
        {
            data.Add(textKey.GetProperty("key").GetString()!, pair.GetProperty("orig").GetString()!, pair.GetProperty("anon").GetString()!);
        }

        return data;
    }

    private static TheoryData<string, string> Pairs(string family)
    {
        var data = new TheoryData<string, string>();
        foreach (var pair in s_vectors.RootElement.GetProperty(family).EnumerateArray())
        {
            data.Add(pair.GetProperty("orig").GetString()!, pair.GetProperty("anon").GetString()!);
        }

        return data;
    }

    [Fact]
    public void Vector_file_holds_the_expected_number_of_pairs()
    {
        Assert.Equal(24, IPv4Pairs().Count);
        Assert.Equal(2, IPv6Pairs().Count);
        Assert.Single(TextKeyPairs());
    }

    [Theory]
    [Trait("Requirement", "R9.1")]
    [MemberData(nameof(IPv4Pairs))]
    public void R9_1_IPv4_sample_pair_is_reproduced(string original, string anonymised)
    {
        using var pan = new CryptoPan(SampleKey);
        Assert.Equal(anonymised, pan.Anonymize(IPAddress.Parse(original)).ToString());

        var bits = BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(original).GetAddressBytes());
        var expected = BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(anonymised).GetAddressBytes());
        Assert.Equal(expected, CryptoPanReference.AnonymizeIPv4(pan, bits));
    }

    [Theory]
    [Trait("Requirement", "R9.1")]
    [MemberData(nameof(IPv6Pairs))]
    public void R9_1_IPv6_sample_pair_is_reproduced(string original, string anonymised)
    {
        using var pan = new CryptoPan(SampleKey);
        Assert.Equal(IPAddress.Parse(anonymised), pan.Anonymize(IPAddress.Parse(original)));

        var bits = BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(original).GetAddressBytes());
        var expected = BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(anonymised).GetAddressBytes());
        Assert.Equal(expected, CryptoPanReference.AnonymizeIPv6(pan, bits));
    }

    [Theory]
    [Trait("Requirement", "R9.1")]
    [MemberData(nameof(TextKeyPairs))]
    public void R9_1_text_key_pair_is_reproduced(string key, string original, string anonymised)
    {
        using var pan = new CryptoPan(Encoding.ASCII.GetBytes(key));
        Assert.Equal(anonymised, pan.Anonymize(IPAddress.Parse(original)).ToString());
    }

    [Fact]
    public void Batch_over_all_sample_addresses_equals_the_one_by_one_answers()
    {
        using var pan = new CryptoPan(SampleKey);
        var pairs = s_vectors.RootElement.GetProperty("ipv4").EnumerateArray().ToArray();
        var source = pairs.Select(p => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(p.GetProperty("orig").GetString()!).GetAddressBytes())).ToArray();
        var destination = new uint[source.Length];
        pan.AnonymizeIPv4(source, destination);
        for (var i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(pairs[i].GetProperty("anon").GetString(), new IPAddress(BinaryPrimitives.ReverseEndianness(destination[i])).ToString());
        }
    }

    [Fact]
    public void IPv4_mapped_IPv6_is_anonymised_as_its_IPv4_address_and_stays_mapped()
    {
        using var pan = new CryptoPan(SampleKey);
        var mapped = IPAddress.Parse("::ffff:128.11.68.132");
        Assert.Equal(IPAddress.Parse("::ffff:135.242.180.132"), pan.Anonymize(mapped));
    }

    [Fact]
    public void Key_of_wrong_length_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new CryptoPan(new byte[31]));
    }

    [Fact]
    public void Disposed_instance_refuses_work()
    {
        var pan = new CryptoPan(SampleKey);
        pan.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pan.AnonymizeIPv4(1u));
    }
}
