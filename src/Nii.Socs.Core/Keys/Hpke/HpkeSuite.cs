using System.Security.Cryptography;

namespace Nii.Socs.Core.Keys.Hpke;

/// <summary>The values the RFC 9180 key schedule produces, kept for the test vectors.</summary>
internal sealed record HpkeSchedule(byte[] KeyScheduleContext, byte[] Secret, byte[] Key, byte[] BaseNonce, byte[] ExporterSecret);

/// <summary>An HPKE cipher suite (RFC 9180): a DHKEM, HKDF-SHA256, and one AEAD. Base mode only.</summary>
/// <remarks>
/// AEAD ids: 0x0001 AES-128-GCM and 0x0002 AES-256-GCM (System.Security.Cryptography.AesGcm),
/// 0x0003 ChaCha20-Poly1305 (NSec, libsodium).
/// </remarks>
internal sealed class HpkeSuite
{
    /// <summary>The wrap suite for EC P-256 certificates.</summary>
    public static readonly HpkeSuite P256Sha256Aes256Gcm = new(DhKem.P256, 0x0002);

    /// <summary>The wrap suite for X25519 certificates.</summary>
    public static readonly HpkeSuite X25519Sha256ChaCha20Poly1305 = new(DhKem.X25519, 0x0003);

    private const ushort KdfId = 0x0001;
    private readonly byte[] _suiteId;

    public HpkeSuite(DhKem kem, ushort aeadId)
    {
        Kem = kem;
        AeadId = aeadId;
        KeySize = aeadId switch
        {
            0x0001 => 16,
            0x0002 or 0x0003 => 32,
            _ => throw new ArgumentOutOfRangeException(nameof(aeadId), aeadId, "Only AEAD ids 1 (AES-128-GCM), 2 (AES-256-GCM) and 3 (ChaCha20-Poly1305) are implemented."),
        };
        _suiteId =
        [
            (byte)'H', (byte)'P', (byte)'K', (byte)'E',
            (byte)(kem.Id >> 8), (byte)kem.Id, (byte)(KdfId >> 8), (byte)KdfId, (byte)(aeadId >> 8), (byte)aeadId,
        ];
    }

    public DhKem Kem { get; }

    public ushort AeadId { get; }

    /// <summary>Nk.</summary>
    public int KeySize { get; }

    /// <summary>Nn.</summary>
    public static int NonceSize => 12;

    /// <summary>Nt.</summary>
    public static int TagSize => 16;

    /// <summary><c>KeySchedule(mode_base, shared_secret, info, "", "")</c>.</summary>
    public HpkeSchedule KeySchedule(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info)
    {
        var pskIdHash = HpkeLabels.LabeledExtract(_suiteId, [], "psk_id_hash"u8, []);
        var infoHash = HpkeLabels.LabeledExtract(_suiteId, [], "info_hash"u8, info);
        var context = new byte[1 + pskIdHash.Length + infoHash.Length];
        context[0] = 0x00; // mode_base
        pskIdHash.CopyTo(context, 1);
        infoHash.CopyTo(context, 1 + pskIdHash.Length);
        var secret = HpkeLabels.LabeledExtract(_suiteId, sharedSecret, "secret"u8, []);
        var key = HpkeLabels.LabeledExpand(_suiteId, secret, "key"u8, context, KeySize);
        var baseNonce = HpkeLabels.LabeledExpand(_suiteId, secret, "base_nonce"u8, context, NonceSize);
        var exporter = HpkeLabels.LabeledExpand(_suiteId, secret, "exp"u8, context, HpkeLabels.HashSize);
        return new HpkeSchedule(context, secret, key, baseNonce, exporter);
    }

    /// <summary>Single-shot <c>SealBase</c> with a fresh ephemeral key.</summary>
    public (byte[] Enc, byte[] Ciphertext) SealBase(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        using var ephemeral = Kem.GenerateKeyPair();
        return SealBase(recipientPublicKey, ephemeral, info, aad, plaintext);
    }

    /// <summary>Single-shot <c>SealBase</c> with a given ephemeral key (for the vectors).</summary>
    public (byte[] Enc, byte[] Ciphertext) SealBase(ReadOnlySpan<byte> recipientPublicKey, IKemPrivateKey ephemeral, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var (shared, enc) = Kem.Encap(recipientPublicKey, ephemeral);
        var schedule = KeySchedule(shared, info);
        CryptographicOperations.ZeroMemory(shared);
        try
        {
            return (enc, Seal(schedule, 0, aad, plaintext));
        }
        finally
        {
            Clear(schedule);
        }
    }

    /// <summary>Single-shot <c>OpenBase</c>; false when the ciphertext or enc is not authentic for this key.</summary>
    public bool TryOpenBase(ReadOnlySpan<byte> enc, IKemPrivateKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, out byte[]? plaintext)
    {
        plaintext = null;
        byte[] shared;
        try
        {
            shared = Kem.Decap(enc, recipient);
        }
        catch (CryptographicException)
        {
            return false;
        }

        var schedule = KeySchedule(shared, info);
        CryptographicOperations.ZeroMemory(shared);
        try
        {
            return TryOpen(schedule, 0, aad, ciphertext, out plaintext);
        }
        finally
        {
            Clear(schedule);
        }
    }

    /// <summary>Seals message number <paramref name="sequence"/> of a context.</summary>
    public byte[] Seal(HpkeSchedule schedule, ulong sequence, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        ComputeNonce(schedule.BaseNonce, sequence, nonce);
        var output = new byte[plaintext.Length + TagSize];
        if (AeadId == 0x0003)
        {
            using var key = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305, schedule.Key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
            NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305.Encrypt(key, nonce, aad, plaintext, output);
        }
        else
        {
            using var gcm = new AesGcm(schedule.Key, TagSize);
            gcm.Encrypt(nonce, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), aad);
        }

        return output;
    }

    /// <summary>Opens message number <paramref name="sequence"/> of a context.</summary>
    public bool TryOpen(HpkeSchedule schedule, ulong sequence, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, out byte[]? plaintext)
    {
        plaintext = null;
        if (ciphertext.Length < TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        ComputeNonce(schedule.BaseNonce, sequence, nonce);
        var output = new byte[ciphertext.Length - TagSize];
        if (AeadId == 0x0003)
        {
            using var key = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305, schedule.Key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
            if (!NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305.Decrypt(key, nonce, aad, ciphertext, output))
            {
                return false;
            }
        }
        else
        {
            using var gcm = new AesGcm(schedule.Key, TagSize);
            try
            {
                gcm.Decrypt(nonce, ciphertext[..output.Length], ciphertext[output.Length..], output, aad);
            }
            catch (AuthenticationTagMismatchException)
            {
                CryptographicOperations.ZeroMemory(output);
                return false;
            }
        }

        plaintext = output;
        return true;
    }

    private static void ComputeNonce(ReadOnlySpan<byte> baseNonce, ulong sequence, Span<byte> nonce)
    {
        baseNonce.CopyTo(nonce);
        for (var i = 0; i < 8; i++)
        {
            nonce[NonceSize - 1 - i] ^= unchecked((byte)(sequence >> (8 * i)));
        }
    }

    private static void Clear(HpkeSchedule schedule)
    {
        CryptographicOperations.ZeroMemory(schedule.Secret);
        CryptographicOperations.ZeroMemory(schedule.Key);
        CryptographicOperations.ZeroMemory(schedule.ExporterSecret);
    }
}
