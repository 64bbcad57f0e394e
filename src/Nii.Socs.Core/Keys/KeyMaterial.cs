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

    /// <summary>Fills a buffer with a random nonce from the OS CSPRNG (24 or 32 bytes: safe to draw at random).</summary>
    public static void FillNonce(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
