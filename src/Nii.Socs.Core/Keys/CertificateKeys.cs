using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Nii.Socs.Core.Keys;

/// <summary>Reads the wrap suite and the recipient public key out of a client certificate (R8.1).</summary>
internal static class CertificateKeys
{
    public const string RsaOid = "1.2.840.113549.1.1.1";
    public const string EcOid = "1.2.840.10045.2.1";
    public const string P256Oid = "1.2.840.10045.3.1.7";
    public const string X25519Oid = "1.3.101.110";

    /// <summary>The smallest RSA modulus accepted, in bits.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>The suite for a certificate's key, or an exception naming what is unsupported.</summary>
    public static WrapSuite SuiteOf(X509Certificate2 certificate)
    {
        var oid = certificate.PublicKey.Oid.Value;
        switch (oid)
        {
            case RsaOid:
                using (var rsa = certificate.GetRSAPublicKey()!)
                {
                    if (rsa.KeySize < MinRsaBits)
                    {
                        throw new ArgumentException($"The certificate's RSA key has {rsa.KeySize} bits; at least {MinRsaBits} are required.", nameof(certificate));
                    }
                }

                return WrapSuite.RsaOaep256;
            case EcOid:
                var curve = certificate.PublicKey.EncodedParameters?.RawData ?? [];
                var curveOid = curve.Length > 0 && curve[0] == 0x06 ? new AsnReader(curve, AsnEncodingRules.DER).ReadObjectIdentifier() : "(explicit or absent)";
                if (curveOid != P256Oid)
                {
                    throw new ArgumentException($"The certificate's EC key is on curve {curveOid}; only P-256 ({P256Oid}) is supported.", nameof(certificate));
                }

                return WrapSuite.HpkeP256Sha256Aes256Gcm;
            case X25519Oid:
                return WrapSuite.HpkeX25519Sha256ChaCha20Poly1305;
            default:
                throw new ArgumentException($"The certificate's key type {certificate.PublicKey.Oid.FriendlyName ?? oid} is not supported; use RSA (2048+), EC P-256 or X25519.", nameof(certificate));
        }
    }

    /// <summary>The serialized HPKE public key: the uncompressed P-256 point or the raw X25519 key.</summary>
    public static byte[] HpkePublicKey(X509Certificate2 certificate)
    {
        if (certificate.PublicKey.Oid.Value == X25519Oid)
        {
            return X25519FromSubjectPublicKeyInfo(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        }

        using var ec = certificate.GetECDiffieHellmanPublicKey()
            ?? throw new ArgumentException("The certificate holds no EC public key.", nameof(certificate));
        return Hpke.P256KemKey.Serialize(ec.ExportParameters(false).Q);
    }

    /// <summary>Reads <c>SubjectPublicKeyInfo { AlgorithmIdentifier { 1.3.101.110 }, BIT STRING key }</c> (RFC 8410 §4).</summary>
    public static byte[] X25519FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = sequence.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            algorithm.ThrowIfNotEmpty(); // RFC 8410: the parameters MUST be absent.
            var key = sequence.ReadBitString(out var unused);
            sequence.ThrowIfNotEmpty();
            if (oid != X25519Oid || unused != 0 || key.Length != 32)
            {
                throw new ArgumentException($"Not an X25519 SubjectPublicKeyInfo (algorithm {oid}, {key.Length} key bytes).", nameof(spki));
            }

            return key;
        }
        catch (AsnContentException ex)
        {
            throw new ArgumentException($"The X25519 SubjectPublicKeyInfo is malformed: {ex.Message}", nameof(spki), ex);
        }
    }

    /// <summary>The lower-case hex SHA-256 of the certificate's DER.</summary>
    public static string Thumbprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
