using System.Security.Cryptography;
using NSec.Cryptography;

namespace Nii.Socs.Core.Keys;

/// <summary>The common key of one epoch (R7.1, R8.2): 32 random bytes, zeroised on dispose.</summary>
/// <remarks>
/// <para>R7.1: the organization generates the key; R8.4: disposing it is the in-memory half of its
/// destruction (the bytes are overwritten with zeros and the libsodium copies freed).</para>
/// <para><b>Security:</b> the bytes live in a pinned array so the garbage collector never leaves
/// stray copies behind when it compacts. <see cref="ToString"/> never prints them. A key obtained
/// from <see cref="Create"/> exists in clear only in this process; it reaches disk only wrapped
/// (R8.1) or sealed under the host key-encryption key.</para>
/// <para>Edge case: using a disposed key throws <see cref="ObjectDisposedException"/>, so a
/// destroyed key can never seal content by accident.</para>
/// </remarks>
public sealed class EpochKey : IDisposable
{
    /// <summary>The size of an epoch key, in bytes.</summary>
    public const int Size = 32;

    private readonly byte[] _bytes = GC.AllocateArray<byte>(Size, pinned: true);
    private readonly Lock _gate = new();
    private Key? _xchacha;
    private Key? _aegis;
    private bool _disposed;

    private EpochKey(EpochId epoch) => Epoch = epoch;

    /// <summary>The epoch this key belongs to.</summary>
    public EpochId Epoch { get; }

    /// <summary>Whether the key has been destroyed.</summary>
    public bool IsDestroyed => _disposed;

    /// <summary>Makes a fresh key for an epoch from the OS CSPRNG.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>A new key; the caller disposes it.</returns>
    /// <remarks>R7.1, R8.2: one key per participant and epoch.</remarks>
    public static EpochKey Create(EpochId epoch)
    {
        var key = new EpochKey(epoch);
        KeyMaterial.FillKey(key._bytes);
        return key;
    }

    /// <summary>Rebuilds a key from its bytes: a key presented by a participant (R8.6) or unwrapped.</summary>
    /// <param name="epoch">The epoch the key is claimed to belong to.</param>
    /// <param name="bytes">Exactly <see cref="Size"/> bytes.</param>
    /// <returns>A new key object holding a copy of the bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not <see cref="Size"/> bytes long.</exception>
    /// <remarks>R8.6. Check a presented key with <see cref="KeyCommitment.Matches(EpochKey)"/> before use.
    /// <para><b>Security:</b> the caller should zero its own copy of <paramref name="bytes"/>.</para></remarks>
    public static EpochKey FromBytes(EpochId epoch, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"An epoch key is {Size} bytes; got {bytes.Length}.", nameof(bytes));
        }

        var key = new EpochKey(epoch);
        bytes.CopyTo(key._bytes);
        return key;
    }

    /// <summary>Copies the key bytes out, to wrap them or to show them to the participant who owns them.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/>.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    /// <remarks>R8.1, R8.6. <para><b>Security:</b> zero the copy (<see cref="CryptographicOperations.ZeroMemory"/>) as soon as it is used.</para></remarks>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"The destination must hold {Size} bytes; it holds {destination.Length}.", nameof(destination));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        _bytes.CopyTo(destination);
    }

    /// <summary>A copy of this key that the caller owns and disposes on its own.</summary>
    /// <returns>The copy.</returns>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    internal EpochKey Clone()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var copy = new EpochKey(Epoch);
            _bytes.CopyTo(copy._bytes);
            return copy;
        }
    }

    /// <summary>Destroys the key: zeroes its bytes and frees the libsodium copies (R8.4).</summary>
    /// <remarks>R8.4. Idempotent.</remarks>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            CryptographicOperations.ZeroMemory(_bytes);
            _xchacha?.Dispose();
            _aegis?.Dispose();
            _xchacha = null;
            _aegis = null;
        }
    }

    /// <summary>Names the epoch, never the bytes.</summary>
    /// <returns>For example <c>EpochKey(u-tokyo#2921)</c>, or <c>EpochKey(u-tokyo#2921, destroyed)</c>.</returns>
    public override string ToString() => _disposed ? $"EpochKey({Epoch}, destroyed)" : $"EpochKey({Epoch})";

    /// <summary>The raw bytes, for the in-process users of the key (wrapping, commitments, tests).</summary>
    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>The backing array itself, for tests that check zeroisation after destruction.</summary>
    internal byte[] BackingArrayForTests => _bytes;

    /// <summary>The NSec key for an AEAD, created once and cached (creating one costs more than sealing 64 bytes).</summary>
    internal Key AeadKey(AeadAlgorithm algorithm)
    {
        var cached = algorithm is Aegis256 ? _aegis : _xchacha;
        if (cached is not null)
        {
            return cached;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (algorithm is Aegis256)
            {
                return _aegis ??= Key.Import(algorithm, _bytes, KeyBlobFormat.RawSymmetricKey);
            }

            return _xchacha ??= Key.Import(algorithm, _bytes, KeyBlobFormat.RawSymmetricKey);
        }
    }
}
