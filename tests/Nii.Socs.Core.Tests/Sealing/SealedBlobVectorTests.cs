using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Sealing;

namespace Nii.Socs.Core.Tests.Sealing;

/// <summary>Known answers for the associated data and for blobs as stored before issue #16's sealing fast path: the AAD
/// layout and the blob format are fixed by blobs already on disk, so these bytes must never change.</summary>
/// <remarks>The vectors were produced by the sealing code of commit ed96988 (before the fast path), with a fixed key.</remarks>
public class SealedBlobVectorTests
{
    private const string ExpectedV4Aad =
        "6e69692d736f63732f636f6e74656e742f763107752d746f6b796f0000000000000b990193d2a17c4e7a108b2c3d4e5f6071820108df4e7d8bae4e0700000000000000000000ffffc000020a00000000000000000000ffffc6336407060000c93b000001bb0018000005ea000005ea000005b40000003600070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c73";

    private const string ExpectedV6Aad =
        "6e69692d736f63732f636f6e74656e742f763107752d746f6b796f0000000000000b990193d2a17c4e7a108b2c3d4e5f6071820108df4fbbc4da018020010db800000000000000000000000100000000000000000000ffffcb0071093affffffffffffffff01ff00000046000005dc0000000800000000";

    private const string BlobV4Aegis =
        "010281af90dcdf45dacc0f000a75a90faca1094575ded2adb2918d4f76f3f2d86e70aab0ec45c22179882c0bfdffaedd4a38fa414a6a7146951ca43b8faade029afbcfc75ecb9dc748a33ab7a494bd833d5500c24eec69e364820b49331b7e514f588e173fc02c";

    private const string BlobV4XChaCha =
        "010147d42b7f0a93682acca4258a297266a4b0a6b832c40a8c983f9f43d4ad0c78ea7eef77550d92dd510ed7ee326f10d0acd6f758f324211bdaeda0950a753eaeb9dadc184bb66fead67b99fc62de";

    private const string BlobV6Aegis =
        "010290230ba5307630d736b944ac94daaa47b98317fd12e3b49dacbaacca840ad27fb85e585cb6540e8ef130ba443f8044779023e2f4031e46cff9f4adba6ef48b585c66d942d46f524d2517da5e5c85eee4e37362b8db31feceba65f32bbe1612c2cd97b84621";

    private const string BlobV6XChaCha =
        "010171e80700d878a31076fe285d9957706d3d8c0243c589d3557962948d08d1d44afe933bc9458e7f61b866246d1d4880f07f7d71d15139865ea982337e4375b74e6c4199f85b930f2d84557e39d5";

    private static readonly byte[] s_content = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"u8.ToArray();
    private static readonly EpochId s_epoch = new(new ParticipantId("u-tokyo"), 2969);
    private static readonly DetectionId s_id = new(Guid.Parse("0193d2a1-7c4e-7a10-8b2c-3d4e5f607182"));
    private static readonly byte[] s_key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    private static DetectionHeader V4Header => new()
    {
        ObservedAt = new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero).AddTicks(1234567),
        Source = IPAddress.Parse("192.0.2.10"),
        Destination = IPAddress.Parse("198.51.100.7"),
        Protocol = 6,
        SourcePort = 51515,
        DestinationPort = 443,
        TcpFlags = 0x18,
        CapturedLength = 1514,
        WireLength = 1514,
        ContentLength = 1460,
        HeaderBytes = Enumerable.Range(0, 54).Select(i => (byte)(i * 7)).ToArray(),
    };

    private static DetectionHeader V6Header => new()
    {
        ObservedAt = new DateTimeOffset(2026, 12, 1, 23, 59, 59, TimeSpan.FromHours(9)),
        Source = IPAddress.Parse("2001:db8::1%3"),
        Destination = IPAddress.Parse("::ffff:203.0.113.9"),
        Protocol = 58,
        CapturedLength = 70,
        WireLength = 1500,
        ContentLength = 8,
    };

    [Fact]
    [Trait("Requirement", "R7.1")]
    public void R7_1_associated_data_layout_is_the_stored_one()
    {
        Assert.Equal(ExpectedV4Aad, Hex(SealingContext.For(s_epoch, s_id, V4Header).AssociatedData));
        Assert.Equal(ExpectedV6Aad, Hex(SealingContext.For(s_epoch, s_id, V6Header).AssociatedData));
    }

    [Theory]
    [Trait("Requirement", "R7.1")]
    [InlineData("v4", true)]
    [InlineData("v4", false)]
    [InlineData("v6", true)]
    [InlineData("v6", false)]
    public void R7_1_blobs_sealed_before_the_fast_path_still_open(string header, bool aegis)
    {
        var algorithm = aegis ? SealingAlgorithm.Aegis256 : SealingAlgorithm.XChaCha20Poly1305;
        if (!ContentSealer.IsSupported(algorithm))
        {
            return; // AEGIS-256 needs AES instructions; such a host cannot open these blobs at all.
        }

        using var key = EpochKey.FromBytes(s_epoch, s_key);
        var h = header == "v4" ? V4Header : V6Header;
        var blob = Convert.FromHexString((header, aegis) switch
        {
            ("v4", true) => BlobV4Aegis,
            ("v4", false) => BlobV4XChaCha,
            ("v6", true) => BlobV6Aegis,
            _ => BlobV6XChaCha,
        });
        Assert.True(SealedContent.TryOpen(key, s_id, h, blob, out var plain, out var failure), failure.ToString());
        Assert.Equal(s_content, plain);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
