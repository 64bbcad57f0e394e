using System.Security.Cryptography;
using NSec.Cryptography;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Storage.Keys;

/// <summary>The host key-encryption key read from a 32-byte file (R8.4); an HSM can replace it behind <see cref="IKeyEncryptionKey"/>.</summary>
/// <remarks>
/// <para>Sealed copy format: version (1 byte, 1), 24-byte random nonce, XChaCha20-Poly1305 ciphertext and tag
/// of the key, with the epoch as associated data.</para>
/// <para><b>Security:</b> keep the KEK file off the data directory's disk and backups (owner-only, mode 0600);
/// with both, the current epoch's key can be read, but never a destroyed one.</para>
/// <para>Edge case: a KEK file of any length other than 32 bytes is refused at load.</para>
/// </remarks>
internal sealed class FileKeyEncryptionKey : IKeyEncryptionKey, IDisposable
{
    /// <summary>The size of the KEK file, in bytes.</summary>
    public const int Size = 32;

    private const byte Version = 1;
    private static readonly AeadAlgorithm s_aead = AeadAlgorithm.XChaCha20Poly1305;
    private readonly Key _key;

    private FileKeyEncryptionKey(Key key) => _key = key;

    /// <summary>Loads a KEK file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The KEK.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not 32 bytes.</exception>
    /// <remarks>R8.4.</remarks>
    public static FileKeyEncryptionKey Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            if (bytes.Length != Size)
            {
                throw new InvalidDataException($"The key-encryption key '{path}' must be {Size} bytes; it is {bytes.Length}.");
            }

            return new FileKeyEncryptionKey(Key.Import(s_aead, bytes, KeyBlobFormat.RawSymmetricKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Creates a new KEK file with 32 random bytes (owner read/write only) and loads it.</summary>
    /// <param name="path">The file; must not exist.</param>
    /// <returns>The KEK.</returns>
    /// <exception cref="IOException">The file already exists.</exception>
    /// <remarks>R8.4.</remarks>
    public static FileKeyEncryptionKey Create(string path)
    {
        var bytes = new byte[Size];
        RandomNumberGenerator.Fill(bytes);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using (var stream = new FileStream(path, SafeFile.OwnerOnlyNew()))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            return new FileKeyEncryptionKey(Key.Import(s_aead, bytes, KeyBlobFormat.RawSymmetricKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <inheritdoc />
    public byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData)
    {
        var sealedKey = new byte[1 + s_aead.NonceSize + key.Length + s_aead.TagSize];
        sealedKey[0] = Version;
        var nonce = sealedKey.AsSpan(1, s_aead.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        s_aead.Encrypt(_key, nonce, associatedData, key, sealedKey.AsSpan(1 + s_aead.NonceSize));
        return sealedKey;
    }

    /// <inheritdoc />
    public bool TryOpen(ReadOnlySpan<byte> sealedKey, ReadOnlySpan<byte> associatedData, Span<byte> key, out int written)
    {
        written = 0;
        var length = sealedKey.Length - 1 - s_aead.NonceSize - s_aead.TagSize;
        if (length < 0 || sealedKey[0] != Version || key.Length < length)
        {
            return false;
        }

        if (!s_aead.Decrypt(_key, sealedKey.Slice(1, s_aead.NonceSize), associatedData, sealedKey[(1 + s_aead.NonceSize)..], key[..length]))
        {
            return false;
        }

        written = length;
        return true;
    }

    /// <summary>Frees the KEK from memory.</summary>
    public void Dispose() => _key.Dispose();
}
