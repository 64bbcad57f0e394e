using System.Buffers.Binary;

namespace Nii.Socs.Core.Research;

/// <summary>The textbook form of Crypto-PAn: one AES block per bit (all of an address's blocks in one call), no tables.</summary>
/// <remarks>Kept as the reference the fast <see cref="CryptoPan"/> is checked and benchmarked against
/// (R9.1); it shares only the key schedule and pad with the instance it is given.</remarks>
internal static class CryptoPanReference
{
    /// <summary>Anonymises an IPv4 address bit by bit.</summary>
    public static uint AnonymizeIPv4(CryptoPan keyed, uint address) =>
        (uint)(Anonymize(keyed, (UInt128)address << 96, 32) >> 96);

    /// <summary>Anonymises an IPv6 address bit by bit.</summary>
    public static UInt128 AnonymizeIPv6(CryptoPan keyed, UInt128 address) => Anonymize(keyed, address, 128);

    private static UInt128 Anonymize(CryptoPan keyed, UInt128 extended, int width)
    {
        // One AES block per bit, all encrypted by one ECB call: a per-block native call would make the reference
        // (and so every "× naive" figure of the research benchmark) slower than the algorithm is.
        var blocks = new byte[16 * width];
        for (var position = 0; position < width; position++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(blocks.AsSpan(16 * position), CryptoPan.BlockFor(extended, keyed.PadBits, position));
        }

        keyed.EncryptBlocks(blocks);
        UInt128 flips = 0;
        for (var position = 0; position < width; position++)
        {
            flips |= (UInt128)(uint)(blocks[16 * position] >> 7) << (127 - position);
        }

        return extended ^ flips;
    }
}
