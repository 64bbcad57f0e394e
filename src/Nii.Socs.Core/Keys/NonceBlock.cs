using System.Runtime.CompilerServices;

namespace Nii.Socs.Core.Keys;

/// <summary>Nonces for one owner (one ingest consumer): OS CSPRNG bytes drawn <see cref="KeyMaterial.NonceBlockSize"/> at a
/// time, each byte handed out once (issue #16).</summary>
/// <remarks>
/// <para>R7.1. The same scheme as <see cref="KeyMaterial.FillNonce"/> without its per-thread state: one
/// <see cref="System.Security.Cryptography.RandomNumberGenerator.Fill(Span{byte})"/> of 4 KiB costs about 2.3 µs on
/// this machine, so drawing per nonce would cost more than sealing a small record; an owner's block avoids the
/// thread-static lookups that <see cref="KeyMaterial.FillNonce"/> pays per nonce.</para>
/// <para><b>Security:</b> a block is refilled from the OS CSPRNG only when what is left is shorter than the nonce asked
/// for, and the read position only moves forward, so no two nonces share a byte of the generator's output: they are
/// as random and as unlikely to repeat as nonces drawn one call at a time. Handed-out bytes are not cleared: they are
/// the nonces, stored in clear in the blobs. Not thread-safe: one owner draws from it.</para>
/// </remarks>
internal sealed class NonceBlock
{
    private readonly byte[] _block = new byte[KeyMaterial.NonceBlockSize];
    private int _at = KeyMaterial.NonceBlockSize;

    /// <summary>Fills a buffer with the next nonce (at most 512 bytes).</summary>
    /// <param name="destination">The nonce (24 or 32 bytes in practice).</param>
    public void Fill(Span<byte> destination)
    {
        var at = _at;
        if (_block.Length - at < destination.Length)
        {
            if (destination.Length > KeyMaterial.NonceBlockSize / 8)
            {
                KeyMaterial.FillNonces(destination);
                return;
            }

            Refill();
            at = 0;
        }

        _block.AsSpan(at, destination.Length).CopyTo(destination);
        _at = at + destination.Length;
    }

    // Once per block: kept out of Fill so the per-nonce path stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Refill()
    {
        KeyMaterial.FillNonces(_block);
        _at = 0;
    }
}
