using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Nii.Socs.Core.Keys.Hpke;

/// <summary>RFC 9180 §4: <c>LabeledExtract</c> and <c>LabeledExpand</c> over HKDF-SHA256 (KDF id 0x0001).</summary>
internal static class HpkeLabels
{
    private static readonly byte[] s_version = "HPKE-v1"u8.ToArray();

    /// <summary>Nh of HKDF-SHA256.</summary>
    public const int HashSize = 32;

    /// <summary><c>HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm)</c>.</summary>
    public static byte[] LabeledExtract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm)
    {
        var labeled = new byte[s_version.Length + suiteId.Length + label.Length + ikm.Length];
        var at = 0;
        Append(labeled, ref at, s_version);
        Append(labeled, ref at, suiteId);
        Append(labeled, ref at, label);
        Append(labeled, ref at, ikm);
        var prk = new byte[HashSize];
        HKDF.Extract(HashAlgorithmName.SHA256, labeled, salt, prk);
        CryptographicOperations.ZeroMemory(labeled);
        return prk;
    }

    /// <summary><c>HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)</c>.</summary>
    public static byte[] LabeledExpand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, int length)
    {
        var labeled = new byte[2 + s_version.Length + suiteId.Length + label.Length + info.Length];
        BinaryPrimitives.WriteUInt16BigEndian(labeled, checked((ushort)length));
        var at = 2;
        Append(labeled, ref at, s_version);
        Append(labeled, ref at, suiteId);
        Append(labeled, ref at, label);
        Append(labeled, ref at, info);
        var okm = new byte[length];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, labeled);
        return okm;
    }

    private static void Append(byte[] buffer, ref int at, ReadOnlySpan<byte> part)
    {
        part.CopyTo(buffer.AsSpan(at));
        at += part.Length;
    }
}
