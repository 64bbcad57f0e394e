using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using Nii.Socs.Core.Keys.Hpke;

namespace Nii.Socs.Core.Keys;

/// <summary>A participant's client-certificate private key, used on its own machine to unwrap epoch keys (R8.1, R8.6).</summary>
/// <remarks>
/// <para>From a file: <see cref="Hosting.ParticipantKeyFile.Load"/> (the file read stays out of this pure type).
/// Accepted forms: PEM (<c>PRIVATE KEY</c>, <c>ENCRYPTED PRIVATE KEY</c>, <c>RSA PRIVATE KEY</c>,
/// <c>EC PRIVATE KEY</c>), DER PKCS#8 (plain or encrypted), and PKCS#12 (<c>.p12</c>/<c>.pfx</c>) with a
/// password. Key types: RSA, EC P-256 and X25519 (RFC 8410).</para>
/// <para><b>Security:</b> this type belongs to the participant side (<c>socs keys unwrap</c>); the
/// organization never holds a participant's private key. Dispose it when done.</para>
/// <para>Edge case: a PKCS#12 file holding an X25519 key is read through its PKCS#8 bag, since
/// <c>X509Certificate2</c> cannot give an X25519 private key.</para>
/// </remarks>
public sealed class ParticipantPrivateKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly IKemPrivateKey? _kem;

    private ParticipantPrivateKey(RSA rsa)
    {
        _rsa = rsa;
        Suite = WrapSuite.RsaOaep256;
    }

    private ParticipantPrivateKey(IKemPrivateKey kem)
    {
        _kem = kem;
        Suite = kem.KemId == DhKem.X25519.Id ? WrapSuite.HpkeX25519Sha256ChaCha20Poly1305 : WrapSuite.HpkeP256Sha256Aes256Gcm;
    }

    /// <summary>The wrap suite this key opens.</summary>
    public WrapSuite Suite { get; }

    /// <summary>Loads a private key from the bytes of a file, detecting PEM, DER PKCS#8 or PKCS#12.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="password">The password of an encrypted PKCS#8 or PKCS#12; null when none.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The data is no supported private key, the key type is unsupported,
    /// or the password is missing or wrong.</exception>
    /// <remarks>R8.1. Edge case: a PKCS#12 without a password is tried with the empty password.</remarks>
    public static ParticipantPrivateKey Load(ReadOnlySpan<byte> data, string? password)
    {
        var text = data.IndexOf("-----BEGIN"u8) >= 0 ? Encoding.ASCII.GetString(data) : null;
        try
        {
            if (text is not null)
            {
                return FromPemText(text, password);
            }

            if (LooksLikePkcs12(data))
            {
                return FromPkcs12Bytes(data, password ?? string.Empty);
            }

            return FromPkcs8(data, password);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"The private key could not be read (wrong password, or not a supported key): {ex.Message}", nameof(data), ex);
        }
        catch (AsnContentException ex)
        {
            throw new ArgumentException($"The private key is malformed: {ex.Message}", nameof(data), ex);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"The private key is malformed: {ex.Message}", nameof(data), ex);
        }
    }

    /// <summary>Loads a private key from PEM text (<c>PRIVATE KEY</c>, <c>ENCRYPTED PRIVATE KEY</c>, <c>RSA PRIVATE KEY</c> or <c>EC PRIVATE KEY</c>).</summary>
    /// <param name="pem">The PEM text; the first private-key block is read.</param>
    /// <param name="password">The password of an <c>ENCRYPTED PRIVATE KEY</c>; null when none.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The text holds no supported private key, or the password is missing or wrong.</exception>
    /// <remarks>R8.1.</remarks>
    public static ParticipantPrivateKey FromPem(string pem, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pem);
        return Load(Encoding.ASCII.GetBytes(pem), password);
    }

    /// <summary>Loads the private key of a PKCS#12 (<c>.p12</c>/<c>.pfx</c>) file's bytes.</summary>
    /// <param name="pkcs12">The PKCS#12 bytes.</param>
    /// <param name="password">Its password; the empty string when it has none.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The data is no PKCS#12 with a supported private key, or the password is wrong.</exception>
    /// <remarks>R8.1. X25519 keys are read through their PKCS#8 bag.</remarks>
    public static ParticipantPrivateKey FromPkcs12(ReadOnlySpan<byte> pkcs12, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        try
        {
            return FromPkcs12Bytes(pkcs12, password);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"The PKCS#12 could not be read (wrong password, or not a supported key): {ex.Message}", nameof(pkcs12), ex);
        }
        catch (AsnContentException ex)
        {
            throw new ArgumentException($"The PKCS#12 is malformed: {ex.Message}", nameof(pkcs12), ex);
        }
    }

    /// <summary>Takes the private key of a certificate that carries one (from a certificate store or <c>X509CertificateLoader</c>).</summary>
    /// <param name="certificate">The client certificate with its RSA or EC P-256 private key.</param>
    /// <returns>The key; the certificate stays the caller's to dispose.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="ArgumentException">The certificate has no private key, or its key is not RSA or EC P-256 (an X25519
    /// key cannot be read through <c>X509Certificate2</c>: load its PKCS#12 or PEM instead).</exception>
    /// <remarks>R8.1.</remarks>
    public static ParticipantPrivateKey FromCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate carries no private key.", nameof(certificate));
        }

        switch (certificate.GetKeyAlgorithm())
        {
            case CertificateKeys.RsaOid:
                return new ParticipantPrivateKey(System.Security.Cryptography.X509Certificates.RSACertificateExtensions.GetRSAPrivateKey(certificate)
                    ?? throw new ArgumentException("The certificate's RSA private key cannot be read.", nameof(certificate)));
            case CertificateKeys.EcOid:
                var ec = certificate.GetECDiffieHellmanPrivateKey()
                    ?? throw new ArgumentException("The certificate's EC private key cannot be read.", nameof(certificate));
                try
                {
                    return new ParticipantPrivateKey(P256KemKey.Adopt(ec));
                }
                catch (CryptographicException ex)
                {
                    ec.Dispose();
                    throw new ArgumentException(ex.Message, nameof(certificate), ex);
                }

            default:
                throw new ArgumentException($"The certificate's key type {certificate.GetKeyAlgorithm()} cannot be read through X509Certificate2; load its PKCS#12 or PEM instead.", nameof(certificate));
        }
    }

    /// <summary>Unwraps one wrapped key into <paramref name="key"/>.</summary>
    /// <param name="wrapped">The wrapped form.</param>
    /// <param name="key">Receives the 32 key bytes.</param>
    /// <param name="failure">Why it failed, or <see cref="UnwrapFailure.None"/>.</param>
    /// <returns>Whether the key unwrapped.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="wrapped"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is shorter than 32 bytes.</exception>
    /// <exception cref="ObjectDisposedException">This key has been disposed.</exception>
    /// <remarks>R8.1, R8.6. Edge case: a wrong private key of the right type gives <see cref="UnwrapFailure.NotAuthentic"/>.</remarks>
    internal bool TryUnwrap(WrappedKey wrapped, Span<byte> key, out UnwrapFailure failure)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        if (key.Length < EpochKey.Size)
        {
            throw new ArgumentException($"The destination must hold {EpochKey.Size} bytes.", nameof(key));
        }

        ObjectDisposedException.ThrowIf(_rsa is null && _kem is null, this);
        if (wrapped.Suite != Suite)
        {
            failure = UnwrapFailure.SuiteMismatch;
            return false;
        }

        byte[]? plain;
        if (_rsa is not null)
        {
            try
            {
                plain = _rsa.Decrypt(wrapped.Ciphertext.ToArray(), RSAEncryptionPadding.OaepSHA256);
            }
            catch (CryptographicException)
            {
                failure = UnwrapFailure.NotAuthentic;
                return false;
            }
        }
        else if (!KeyWrapper.HpkeSuiteOf(Suite).TryOpenBase(wrapped.Enc.Span, _kem!, wrapped.Info.Span, wrapped.Aad.Span, wrapped.Ciphertext.Span, out plain))
        {
            failure = UnwrapFailure.NotAuthentic;
            return false;
        }

        try
        {
            if (plain!.Length != EpochKey.Size)
            {
                failure = UnwrapFailure.WrongKeyLength;
                return false;
            }

            plain.CopyTo(key);
            failure = UnwrapFailure.None;
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Unwraps an epoch key from a wrapped set, trying every entry of this key's suite, and checks the commitment.</summary>
    /// <param name="set">The wrapped set.</param>
    /// <param name="key">The key when it unwrapped and matched the commitment.</param>
    /// <param name="failure">Why it failed, or <see cref="UnwrapFailure.None"/>.</param>
    /// <returns>Whether the key was recovered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="set"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">This key has been disposed.</exception>
    /// <remarks>R8.1, R8.6: a recovered key is only returned when the commitment accepts it.</remarks>
    public bool TryUnwrap(WrappedKeySet set, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EpochKey? key, out UnwrapFailure failure)
    {
        ArgumentNullException.ThrowIfNull(set);
        key = null;
        failure = UnwrapFailure.SuiteMismatch;
        Span<byte> bytes = stackalloc byte[EpochKey.Size];
        try
        {
            foreach (var wrapped in set.Wrapped)
            {
                if (wrapped.Suite != Suite)
                {
                    continue;
                }

                if (!TryUnwrap(wrapped, bytes, out failure))
                {
                    continue;
                }

                if (!set.Commitment.Matches(bytes))
                {
                    failure = UnwrapFailure.CommitmentMismatch;
                    continue;
                }

                key = EpochKey.FromBytes(set.Epoch, bytes);
                return true;
            }

            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The re-wrap ceremony (R6.2, R6.3): unwraps with this (old) private key and wraps the same key to a new certificate.</summary>
    /// <param name="wrapped">The key wrapped to the old certificate.</param>
    /// <param name="newCertificate">The renewed client certificate.</param>
    /// <param name="rewrapped">The key wrapped to <paramref name="newCertificate"/>, keeping the HPKE info and AAD; null on failure.</param>
    /// <param name="failure">Why the old wrap did not open, or <see cref="UnwrapFailure.None"/>.</param>
    /// <returns>Whether the key was re-wrapped.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The new certificate's key is unsupported.</exception>
    /// <exception cref="ObjectDisposedException">This key has been disposed.</exception>
    /// <remarks>R6.3: run on the participant's machine, so an old epoch stays readable after the old
    /// certificate is retired. Edge case: an RSA-wrapped key can be re-wrapped to an X25519 certificate;
    /// the info becomes <see cref="KeyWrapper.DefaultInfo"/> when the old wrap had none.</remarks>
    public bool TryRewrap(WrappedKey wrapped, System.Security.Cryptography.X509Certificates.X509Certificate2 newCertificate, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKey? rewrapped, out UnwrapFailure failure)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentNullException.ThrowIfNull(newCertificate);
        KeyWrapper.SuiteFor(newCertificate);
        rewrapped = null;
        Span<byte> bytes = stackalloc byte[EpochKey.Size];
        try
        {
            if (!TryUnwrap(wrapped, bytes, out failure))
            {
                return false;
            }

            var info = wrapped.Info.IsEmpty ? KeyWrapper.DefaultInfo.Span : wrapped.Info.Span;
            rewrapped = KeyWrapper.Wrap(bytes, newCertificate, info, wrapped.Aad.Span);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Frees the private key.</summary>
    public void Dispose()
    {
        _rsa?.Dispose();
        _kem?.Dispose();
    }

    /// <summary>Names the suite, never the key.</summary>
    /// <returns>For example <c>ParticipantPrivateKey(RSA-OAEP-256)</c>.</returns>
    public override string ToString() => $"ParticipantPrivateKey({Suite})";

    private static ParticipantPrivateKey FromPemText(string text, string? password)
    {
        var fields = PemEncoding.Find(text);
        var label = text[fields.Label];
        var der = Convert.FromBase64String(text[fields.Base64Data]);
        switch (label)
        {
            case "PRIVATE KEY":
                return FromPkcs8(der, null);
            case "ENCRYPTED PRIVATE KEY":
                return FromPkcs8(der, password ?? throw new ArgumentException("The private key is encrypted: give its password."));
            case "RSA PRIVATE KEY":
                var rsa = RSA.Create();
                rsa.ImportRSAPrivateKey(der, out _);
                return new ParticipantPrivateKey(rsa);
            case "EC PRIVATE KEY":
                var ec = ECDiffieHellman.Create();
                ec.ImportECPrivateKey(der, out _);
                return new ParticipantPrivateKey(P256KemKey.Adopt(ec));
            default:
                throw new ArgumentException($"The PEM holds a '{label}', not a private key.");
        }
    }

    private static ParticipantPrivateKey FromPkcs8(ReadOnlySpan<byte> der, string? password)
    {
        Pkcs8PrivateKeyInfo info;
        if (IsEncryptedPkcs8(der))
        {
            if (password is null)
            {
                throw new ArgumentException("The private key is encrypted: give its password.");
            }

            info = Pkcs8PrivateKeyInfo.DecryptAndDecode(password.AsSpan(), der.ToArray(), out _);
        }
        else
        {
            info = Pkcs8PrivateKeyInfo.Decode(der.ToArray(), out _, skipCopy: false);
        }

        return FromInfo(info);
    }

    private static ParticipantPrivateKey FromInfo(Pkcs8PrivateKeyInfo info)
    {
        var plain = info.Encode();
        try
        {
            switch (info.AlgorithmId.Value)
            {
                case CertificateKeys.RsaOid:
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(plain, out _);
                    return new ParticipantPrivateKey(rsa);
                case CertificateKeys.EcOid:
                    var ec = ECDiffieHellman.Create();
                    ec.ImportPkcs8PrivateKey(plain, out _);
                    return new ParticipantPrivateKey(P256KemKey.Adopt(ec));
                case CertificateKeys.X25519Oid:
                    return new ParticipantPrivateKey(X25519KemKey.ImportPkcs8(plain));
                default:
                    throw new ArgumentException($"The private key type {info.AlgorithmId.FriendlyName ?? info.AlgorithmId.Value} is not supported; use RSA, EC P-256 or X25519.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static ParticipantPrivateKey FromPkcs12Bytes(ReadOnlySpan<byte> data, string password)
    {
        var pfx = Pkcs12Info.Decode(data.ToArray(), out _, skipCopy: false);
        if (pfx.IntegrityMode == Pkcs12IntegrityMode.Password && !pfx.VerifyMac(password))
        {
            throw new ArgumentException("The PKCS#12 password is wrong.");
        }

        foreach (var contents in pfx.AuthenticatedSafe)
        {
            if (contents.ConfidentialityMode == Pkcs12ConfidentialityMode.Password)
            {
                contents.Decrypt(password);
            }

            foreach (var bag in contents.GetBags())
            {
                switch (bag)
                {
                    case Pkcs12ShroudedKeyBag shrouded:
                        return FromInfo(Pkcs8PrivateKeyInfo.DecryptAndDecode(password.AsSpan(), shrouded.EncryptedPkcs8PrivateKey, out _));
                    case Pkcs12KeyBag plain:
                        return FromInfo(Pkcs8PrivateKeyInfo.Decode(plain.Pkcs8PrivateKey, out _, skipCopy: false));
                }
            }
        }

        throw new ArgumentException("The PKCS#12 file holds no private key.");
    }

    // PKCS#12 is SEQUENCE { INTEGER 3, ContentInfo … }; PKCS#8 is SEQUENCE { INTEGER 0|1, SEQUENCE … }.
    private static bool LooksLikePkcs12(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new AsnReader(data.ToArray(), AsnEncodingRules.BER).ReadSequence();
            return reader.TryReadInt32(out var version) && version == 3;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    // EncryptedPrivateKeyInfo starts with SEQUENCE { SEQUENCE (algorithm) … }, PrivateKeyInfo with INTEGER.
    private static bool IsEncryptedPkcs8(ReadOnlySpan<byte> der)
    {
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER).ReadSequence();
            return reader.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
