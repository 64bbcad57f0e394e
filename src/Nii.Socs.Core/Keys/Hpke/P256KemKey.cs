using System.Security.Cryptography;

namespace Nii.Socs.Core.Keys.Hpke;

/// <summary>A P-256 private key held by System.Security.Cryptography, for DHKEM(P-256).</summary>
internal sealed class P256KemKey : IKemPrivateKey
{
    // The order n of P-256 (SEC 2, FIPS 186-4 D.1.2.3), big-endian.
    private static readonly byte[] s_order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

    private readonly ECDiffieHellman _key;

    private P256KemKey(ECDiffieHellman key)
    {
        _key = key;
        var p = key.ExportParameters(false);
        PublicKey = Serialize(p.Q);
    }

    public ushort KemId => 0x0010;

    public byte[] PublicKey { get; }

    public static P256KemKey Generate() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    public static P256KemKey Import(ReadOnlySpan<byte> scalar)
    {
        if (!IsValidScalar(scalar))
        {
            throw new CryptographicException("A P-256 private key is a 32-byte scalar in [1, n-1].");
        }

        var key = ECDiffieHellman.Create();
        key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar.ToArray() });
        return new P256KemKey(key);
    }

    /// <summary>Takes ownership of a P-256 key loaded from a PEM, PKCS#8 or PKCS#12 file.</summary>
    public static P256KemKey Adopt(ECDiffieHellman key)
    {
        var p = key.ExportParameters(false);
        if (p.Curve.Oid?.Value != "1.2.840.10045.3.1.7")
        {
            throw new CryptographicException($"Only EC keys on P-256 are supported; this key is on {p.Curve.Oid?.FriendlyName ?? p.Curve.Oid?.Value ?? "an explicit curve"}.");
        }

        return new P256KemKey(key);
    }

    /// <summary>Whether 32 big-endian bytes are a scalar in [1, n-1].</summary>
    public static bool IsValidScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != 32 || scalar.IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        return scalar.SequenceCompareTo(s_order) < 0;
    }

    /// <summary>The uncompressed SEC1 encoding <c>04 || X || Y</c> of a point.</summary>
    public static byte[] Serialize(ECPoint q)
    {
        var point = new byte[65];
        point[0] = 0x04;
        q.X.AsSpan().CopyTo(point.AsSpan(1 + 32 - q.X!.Length));
        q.Y.AsSpan().CopyTo(point.AsSpan(33 + 32 - q.Y!.Length));
        return point;
    }

    public byte[] Dh(ReadOnlySpan<byte> peerPublicKey)
    {
        if (peerPublicKey.Length != 65 || peerPublicKey[0] != 0x04)
        {
            throw new CryptographicException("A P-256 public key is a 65-byte uncompressed point.");
        }

        // ImportParameters validates that the point is on the curve (RFC 9180 §7.1.4).
        using var peer = ECDiffieHellman.Create();
        peer.ImportParameters(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = peerPublicKey.Slice(1, 32).ToArray(), Y = peerPublicKey.Slice(33, 32).ToArray() },
        });
        return _key.DeriveRawSecretAgreement(peer.PublicKey);
    }

    public void Dispose() => _key.Dispose();
}
