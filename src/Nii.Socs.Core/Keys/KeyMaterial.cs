using System.Security.Cryptography;

namespace Nii.Socs.Core.Keys;

/// <summary>The one seam through which Core draws random bytes: epoch keys and per-record nonces.</summary>
/// <remarks>
/// STYLE §2: no ambient randomness. Everything secret or unique comes from the OS CSPRNG through
/// <see cref="RandomNumberGenerator"/>, here and nowhere else in the pure folders.
/// </remarks>
internal static class KeyMaterial
{
    /// <summary>Fills a buffer with key bytes from the OS CSPRNG.</summary>
    public static void FillKey(Span<byte> destination) => RandomNumberGenerator.Fill(destination);

    /// <summary>Fills a block of nonce bytes from the OS CSPRNG (<see cref="NonceBlock"/>).</summary>
    public static void FillNonces(Span<byte> block) => RandomNumberGenerator.Fill(block);

    /// <summary>The bytes drawn from the OS CSPRNG at a time for nonces.</summary>
    internal const int NonceBlockSize = 4096;

    [ThreadStatic]
    private static byte[]? t_nonces;

    [ThreadStatic]
    private static int t_nonceAt;

    /// <summary>Fills a buffer with a random nonce from the OS CSPRNG (24 or 32 bytes: safe to draw at random).</summary>
    /// <remarks>
    /// <para>One <see cref="RandomNumberGenerator.Fill"/> call costs about as much as sealing a small record,
    /// so nonces come from a per-thread block of <see cref="NonceBlockSize"/> CSPRNG bytes.</para>
    /// <para><b>Security:</b> every byte of a block is handed out once and then cleared, and a block is
    /// refilled from the OS CSPRNG only when used up, so no two nonces share a byte of the generator's
    /// output: they are exactly as random and as unlikely to repeat as nonces drawn one call at a time
    /// (24- and 32-byte nonces, collision probability ~2⁻⁹⁶ after 2⁹⁶ draws). Blocks are per thread, so
    /// threads never hand out the same bytes. Nonces are not secret (they are stored in the blob), yet
    /// the unused rest of a block is not readable by anything but this method.</para>
    /// </remarks>
    public static void FillNonce(Span<byte> destination)
    {
        if (destination.Length > NonceBlockSize / 8)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        var block = t_nonces ??= new byte[NonceBlockSize];
        if (t_nonces.Length - t_nonceAt < destination.Length || t_nonceAt == 0)
        {
            RandomNumberGenerator.Fill(block);
            t_nonceAt = 0;
        }

        var slice = block.AsSpan(t_nonceAt, destination.Length);
        slice.CopyTo(destination);
        slice.Clear();
        t_nonceAt += destination.Length;
        if (t_nonceAt == block.Length)
        {
            t_nonceAt = 0;
        }
    }
}
