namespace Nii.Socs.Core.Sealing;

/// <summary>The AEAD that sealed a blob; its id is the second byte of every sealed blob (R7.1).</summary>
/// <remarks>
/// R7.1. Both have nonces long enough to draw at random per record (24 and 32 bytes); AES-256-GCM's
/// 12-byte nonce is not, so it is not offered. Edge case: id 0 is never written, so a zeroed blob is
/// reported as <see cref="OpenFailure.UnknownAlgorithm"/>, not as a tampered one.
/// </remarks>
internal enum SealingAlgorithm
{
    /// <summary>XChaCha20-Poly1305 (24-byte nonce, 16-byte tag).</summary>
    XChaCha20Poly1305 = 1,

    /// <summary>AEGIS-256 (32-byte nonce, 32-byte tag); needs AES instructions on the CPU.</summary>
    Aegis256 = 2,
}
