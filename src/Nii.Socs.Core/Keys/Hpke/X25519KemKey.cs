using System.Security.Cryptography;
using NSec.Cryptography;

namespace Nii.Socs.Core.Keys.Hpke;

/// <summary>An X25519 private key held by NSec (libsodium), for DHKEM(X25519).</summary>
internal sealed class X25519KemKey : IKemPrivateKey
{
    private static readonly KeyAgreementAlgorithm s_x25519 = KeyAgreementAlgorithm.X25519;
    private readonly Key _key;

    private X25519KemKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public ushort KemId => 0x0020;

    public byte[] PublicKey { get; }

    /// <summary>The NSec key, for tests and for exporting the PKCS#8 form.</summary>
    internal Key Key => _key;

    public static X25519KemKey Generate() =>
        new(Key.Create(s_x25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None }));

    public static X25519KemKey Import(ReadOnlySpan<byte> privateKey) =>
        new(Key.Import(s_x25519, privateKey, KeyBlobFormat.RawPrivateKey));

    /// <summary>Imports a PKCS#8 (RFC 8410) X25519 private key.</summary>
    public static X25519KemKey ImportPkcs8(ReadOnlySpan<byte> pkcs8) =>
        new(Key.Import(s_x25519, pkcs8, KeyBlobFormat.PkixPrivateKey));

    public byte[] Dh(ReadOnlySpan<byte> peerPublicKey)
    {
        if (!NSec.Cryptography.PublicKey.TryImport(s_x25519, peerPublicKey, KeyBlobFormat.RawPublicKey, out var peer) || peer is null)
        {
            throw new CryptographicException("The peer X25519 public key is not 32 bytes.");
        }

        // NSec refuses an all-zero result (a low-order peer point), as RFC 9180 §7.1.4 asks.
        using var secret = s_x25519.Agree(_key, peer, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport })
            ?? throw new CryptographicException("X25519 gave the identity: the peer public key is of low order.");
        return secret.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    public void Dispose() => _key.Dispose();
}
