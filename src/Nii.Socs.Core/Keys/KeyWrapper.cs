using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Nii.Socs.Core.Keys.Hpke;

namespace Nii.Socs.Core.Keys;

/// <summary>Wraps epoch keys to participants' client certificates (R8.1).</summary>
/// <remarks>
/// <para>R8.1: each common key is encrypted with the public key of each client certificate of the
/// participant. The suite follows from the key type (<see cref="WrapSuite"/>): RSA 2048+ with
/// RSA-OAEP-SHA256/MGF1-SHA256, EC P-256 and X25519 with HPKE base mode (RFC 9180).</para>
/// <para>HPKE's info is <see cref="DefaultInfo"/>; its AAD is the epoch's text form
/// (<c>u-tokyo#2921</c>), so an HPKE-wrapped key moved to another epoch's set no longer opens
/// under that set's AAD.</para>
/// <para><b>Security:</b> only public keys are used here; the private keys never reach the
/// organization. A certificate with a 1024-bit RSA key, or an EC key on another curve, is refused.</para>
/// <para>Edge case: wrapping the same key twice to the same EC certificate gives different <c>enc</c>
/// and <c>ct</c> (a fresh ephemeral key each time); RSA-OAEP is randomised as well.</para>
/// </remarks>
public static class KeyWrapper
{
    /// <summary>The HPKE info of every wrap made by this library.</summary>
    public static ReadOnlyMemory<byte> DefaultInfo { get; } = "nii-socs/epoch-key/v1"u8.ToArray();

    /// <summary>The suite a certificate's key calls for.</summary>
    /// <param name="certificate">The client certificate.</param>
    /// <returns>The suite.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="ArgumentException">The key type is unsupported, or an RSA key has fewer than 2048 bits.</exception>
    /// <remarks>R8.1.</remarks>
    public static WrapSuite SuiteFor(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return CertificateKeys.SuiteOf(certificate);
    }

    /// <summary>The SHA-256 thumbprint of a certificate as 64 lower-case hex digits.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The thumbprint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <remarks>R8.1, R6.3.</remarks>
    public static string Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return CertificateKeys.Thumbprint(certificate);
    }

    /// <summary>Wraps an epoch key to one certificate.</summary>
    /// <param name="key">The key.</param>
    /// <param name="certificate">The client certificate.</param>
    /// <returns>The wrapped form.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The certificate's key is unsupported.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    /// <remarks>R8.1.</remarks>
    public static WrappedKey Wrap(EpochKey key, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Wrap(key.Bytes, certificate, DefaultInfo.Span, AadOf(key.Epoch));
    }

    /// <summary>Wraps raw key bytes to one certificate with a given HPKE info and AAD.</summary>
    /// <param name="key">The key bytes (an epoch key is 32).</param>
    /// <param name="certificate">The client certificate.</param>
    /// <param name="info">HPKE info; ignored (and stored empty) for RSA.</param>
    /// <param name="aad">HPKE associated data; ignored (and stored empty) for RSA.</param>
    /// <returns>The wrapped form.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="ArgumentException">The certificate's key is unsupported, or <paramref name="key"/> is empty.</exception>
    /// <remarks>R8.1. This is what <c>socs keys wrap</c> and the re-wrap ceremony use.</remarks>
    internal static WrappedKey Wrap(ReadOnlySpan<byte> key, X509Certificate2 certificate, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (key.IsEmpty)
        {
            throw new ArgumentException("There is no key to wrap.", nameof(key));
        }

        var suite = CertificateKeys.SuiteOf(certificate);
        var thumbprint = CertificateKeys.Thumbprint(certificate);
        if (suite == WrapSuite.RsaOaep256)
        {
            using var rsa = certificate.GetRSAPublicKey()!;
            var ct = rsa.Encrypt(key.ToArray(), RSAEncryptionPadding.OaepSHA256);
            return new WrappedKey(suite, thumbprint, ReadOnlyMemory<byte>.Empty, ct, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty);
        }

        var hpke = HpkeSuiteOf(suite);
        var (enc, ciphertext) = hpke.SealBase(CertificateKeys.HpkePublicKey(certificate), info, aad, key);
        return new WrappedKey(suite, thumbprint, enc, ciphertext, info.ToArray(), aad.ToArray());
    }

    /// <summary>Wraps an epoch key to every active certificate of its participant and commits to it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="certificates">The participant's active client certificates.</param>
    /// <returns>The wrapped set.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">No certificate is given, or one has an unsupported key.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    /// <remarks>R8.1: to <b>every</b> certificate (several portal operators). Edge case: the same certificate
    /// listed twice is wrapped once.</remarks>
    public static WrappedKeySet WrapToAll(EpochKey key, IReadOnlyList<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(certificates);
        if (certificates.Count == 0)
        {
            throw new ArgumentException($"The participant {key.Epoch.Participant} has no active client certificate; its key could never be recovered.", nameof(certificates));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var wrapped = new List<WrappedKey>(certificates.Count);
        foreach (var certificate in certificates)
        {
            ArgumentNullException.ThrowIfNull(certificate, nameof(certificates));
            if (seen.Add(CertificateKeys.Thumbprint(certificate)))
            {
                wrapped.Add(Wrap(key, certificate));
            }
        }

        return new WrappedKeySet(KeyCommitment.Compute(key), wrapped);
    }

    /// <summary>The HPKE AAD used for an epoch: its text form in UTF-8.</summary>
    internal static byte[] AadOf(EpochId epoch) => Encoding.UTF8.GetBytes(epoch.ToString());

    internal static HpkeSuite HpkeSuiteOf(WrapSuite suite) =>
        suite == WrapSuite.HpkeP256Sha256Aes256Gcm ? HpkeSuite.P256Sha256Aes256Gcm : HpkeSuite.X25519Sha256ChaCha20Poly1305;
}
