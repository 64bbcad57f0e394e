using System.Security.Cryptography;

namespace Nii.Socs.Core.Keys.Hpke;

/// <summary>A private key that a DHKEM can use: X25519 (NSec) or P-256 (System.Security.Cryptography).</summary>
internal interface IKemPrivateKey : IDisposable
{
    /// <summary>The KEM id the key belongs to (0x0010 P-256, 0x0020 X25519).</summary>
    ushort KemId { get; }

    /// <summary><c>SerializePublicKey(pk)</c>: 65-byte uncompressed point or 32-byte X25519 key.</summary>
    byte[] PublicKey { get; }

    /// <summary>The raw Diffie-Hellman output with a serialized peer public key.</summary>
    /// <exception cref="CryptographicException">The peer key is invalid, or the result is the identity.</exception>
    byte[] Dh(ReadOnlySpan<byte> peerPublicKey);
}

/// <summary>RFC 9180 §4.1 DHKEM over HKDF-SHA256: encapsulation, decapsulation and key derivation.</summary>
internal sealed class DhKem
{
    /// <summary>DHKEM(P-256, HKDF-SHA256).</summary>
    public static readonly DhKem P256 = new(0x0010, 65, 32);

    /// <summary>DHKEM(X25519, HKDF-SHA256).</summary>
    public static readonly DhKem X25519 = new(0x0020, 32, 32);

    private readonly byte[] _suiteId;

    private DhKem(ushort id, int publicKeySize, int privateKeySize)
    {
        Id = id;
        PublicKeySize = publicKeySize;
        PrivateKeySize = privateKeySize;
        _suiteId = [(byte)'K', (byte)'E', (byte)'M', (byte)(id >> 8), (byte)id];
    }

    /// <summary>The KEM id.</summary>
    public ushort Id { get; }

    /// <summary>Npk = Nenc.</summary>
    public int PublicKeySize { get; }

    /// <summary>Nsk.</summary>
    public int PrivateKeySize { get; }

    /// <summary>Nsecret.</summary>
    public static int SharedSecretSize => 32;

    /// <summary>The KEM for an id.</summary>
    public static DhKem ById(ushort id) => id switch
    {
        0x0010 => P256,
        0x0020 => X25519,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Only DHKEM(P-256, HKDF-SHA256) and DHKEM(X25519, HKDF-SHA256) are implemented."),
    };

    /// <summary>A fresh ephemeral key pair from the OS CSPRNG.</summary>
    public IKemPrivateKey GenerateKeyPair() => Id == 0x0020 ? X25519KemKey.Generate() : P256KemKey.Generate();

    /// <summary>RFC 9180 §7.1.3 <c>DeriveKeyPair(ikm)</c>, returning the private key bytes.</summary>
    public byte[] DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        var prk = HpkeLabels.LabeledExtract(_suiteId, [], "dkp_prk"u8, ikm);
        try
        {
            if (Id == 0x0020)
            {
                return HpkeLabels.LabeledExpand(_suiteId, prk, "sk"u8, [], PrivateKeySize);
            }

            for (var counter = 0; counter < 256; counter++)
            {
                var candidate = HpkeLabels.LabeledExpand(_suiteId, prk, "candidate"u8, [(byte)counter], PrivateKeySize);
                candidate[0] &= 0xFF; // The bitmask of P-256 (RFC 9180 §7.1.3) keeps every bit.
                if (P256KemKey.IsValidScalar(candidate))
                {
                    return candidate;
                }

                CryptographicOperations.ZeroMemory(candidate);
            }

            throw new CryptographicException("DeriveKeyPair found no valid P-256 scalar in 256 candidates.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    /// <summary>Imports serialized private key bytes (the vectors' <c>skRm</c>/<c>skEm</c>).</summary>
    public IKemPrivateKey ImportPrivateKey(ReadOnlySpan<byte> privateKey) =>
        Id == 0x0020 ? X25519KemKey.Import(privateKey) : P256KemKey.Import(privateKey);

    /// <summary><c>Encap(pkR)</c> with a given ephemeral key (the vectors fix it; callers use <see cref="GenerateKeyPair"/>).</summary>
    public (byte[] SharedSecret, byte[] Enc) Encap(ReadOnlySpan<byte> recipientPublicKey, IKemPrivateKey ephemeral)
    {
        CheckKey(ephemeral);
        if (recipientPublicKey.Length != PublicKeySize)
        {
            throw new CryptographicException($"The recipient public key must be {PublicKeySize} bytes; got {recipientPublicKey.Length}.");
        }

        var dh = ephemeral.Dh(recipientPublicKey);
        var enc = ephemeral.PublicKey;
        return (ExtractAndExpand(dh, enc, recipientPublicKey), enc);
    }

    /// <summary><c>Decap(enc, skR)</c>.</summary>
    public byte[] Decap(ReadOnlySpan<byte> enc, IKemPrivateKey recipient)
    {
        CheckKey(recipient);
        if (enc.Length != PublicKeySize)
        {
            throw new CryptographicException($"The encapsulated key must be {PublicKeySize} bytes; got {enc.Length}.");
        }

        var dh = recipient.Dh(enc);
        return ExtractAndExpand(dh, enc, recipient.PublicKey);
    }

    private byte[] ExtractAndExpand(byte[] dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipientPublicKey)
    {
        var kemContext = new byte[enc.Length + recipientPublicKey.Length];
        enc.CopyTo(kemContext);
        recipientPublicKey.CopyTo(kemContext.AsSpan(enc.Length));
        var prk = HpkeLabels.LabeledExtract(_suiteId, [], "eae_prk"u8, dh);
        CryptographicOperations.ZeroMemory(dh);
        var shared = HpkeLabels.LabeledExpand(_suiteId, prk, "shared_secret"u8, kemContext, SharedSecretSize);
        CryptographicOperations.ZeroMemory(prk);
        return shared;
    }

    private void CheckKey(IKemPrivateKey key)
    {
        if (key.KemId != Id)
        {
            throw new CryptographicException($"The key belongs to KEM 0x{key.KemId:x4}, not 0x{Id:x4}.");
        }
    }
}
