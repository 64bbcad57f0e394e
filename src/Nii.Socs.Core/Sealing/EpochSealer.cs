using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Sealing;

/// <summary>Seals the records of one epoch as the ingest path does: the associated data's epoch part is built once, and
/// each record's blob is written into a buffer the caller provides, so sealing a record allocates nothing (issue #16).</summary>
/// <remarks>
/// <para>R7.1. A blob sealed here is exactly what <see cref="ContentSealer.Seal(EpochKey, SealingContext, ReadOnlySpan{byte}, Span{byte})"/>
/// writes for <see cref="SealingContext.For(EpochId, DetectionId, DetectionHeader)"/>: the same associated data, laid out by
/// <see cref="SealingContext.PrefixOf"/> and <see cref="DetectionHeader.WriteCanonical"/>, so it opens with
/// <see cref="ContentSealer.TryOpen(EpochKey, SealingContext, ReadOnlySpan{byte}, Span{byte}, out int, out OpenFailure)"/>.</para>
/// <para><b>Security:</b> the key stays in its zeroising <see cref="EpochKey"/>; this holds only a reference to it, so
/// destroying the key (R8.4) makes the next seal throw <see cref="ObjectDisposedException"/>. Nonces are drawn by
/// <see cref="ContentSealer"/> per blob, never reused.</para>
/// <para>Immutable after construction, so one instance may be shared by threads.</para>
/// </remarks>
internal sealed class EpochSealer
{
    [ThreadStatic]
    private static byte[]? t_aad;

    private readonly ContentSealer _sealer;
    private readonly byte[] _prefix;
    private readonly NSec.Cryptography.Key _aeadKey;
    private readonly int _overhead;

    /// <summary>Creates a sealer for the epoch of a key.</summary>
    /// <param name="sealer">The AEAD to seal with (usually <see cref="ContentSealer.Default"/>).</param>
    /// <param name="key">The epoch key; its epoch is the epoch of every blob sealed here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>R7.1.</remarks>
    public EpochSealer(ContentSealer sealer, EpochKey key)
    {
        ArgumentNullException.ThrowIfNull(sealer);
        ArgumentNullException.ThrowIfNull(key);
        _sealer = sealer;
        Key = key;
        _prefix = SealingContext.PrefixOf(key.Epoch);

        // One key schedule per epoch key: the NSec key is looked up once. Destroying the epoch key disposes it, and
        // sealing with a disposed NSec key throws ObjectDisposedException (R8.4).
        _aeadKey = sealer.AeadKeyOf(key);
        _overhead = sealer.SealedLength(0);
    }

    /// <summary>The key this sealer seals with.</summary>
    /// <value>The key given at construction; its epoch is the epoch of every blob sealed here.</value>
    public EpochKey Key { get; }

    /// <summary>The blob length for a content length.</summary>
    /// <param name="plaintextLength">The content length.</param>
    /// <returns>Header, nonce, ciphertext and tag.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="plaintextLength"/> is negative.</exception>
    public int SealedLength(int plaintextLength) => _sealer.SealedLength(plaintextLength);

    /// <summary>What a blob adds to its content: header, nonce and tag (66 bytes with AEGIS-256, 42 with XChaCha20-Poly1305).</summary>
    internal int Overhead => _overhead;

    /// <summary>Seals one record's content into a caller's buffer, allocating nothing.</summary>
    /// <param name="record">The record id.</param>
    /// <param name="header">The record's clear header.</param>
    /// <param name="plaintext">The communication content (R2.1).</param>
    /// <param name="destination">At least <see cref="SealedLength"/> bytes; must not overlap <paramref name="plaintext"/>.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="header"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1. The blob opens with the context <see cref="SealingContext.For(EpochId, DetectionId, DetectionHeader)"/> of the same record.</remarks>
    public int Seal(DetectionId record, DetectionHeader header, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(header);
        var length = _sealer.SealedLength(plaintext.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold {length} bytes; it holds {destination.Length}.", nameof(destination));
        }

        // The associated data is laid out in this thread's scratch array: no allocation, and unlike a stackalloc
        // nothing is zeroed first (every byte of it is written below).
        var aadLength = _prefix.Length + 16 + header.CanonicalLength;
        var scratch = t_aad;
        if (scratch is null || scratch.Length < aadLength)
        {
            t_aad = scratch = new byte[Math.Max(512, aadLength)];
        }

        var aad = scratch.AsSpan(0, aadLength);
        _prefix.CopyTo(aad);
        record.Value.TryWriteBytes(aad.Slice(_prefix.Length, 16), bigEndian: true, out _);
        header.WriteCanonical(aad[(_prefix.Length + 16)..]);
        return _sealer.SealTrusted(Key, aad, plaintext, destination);
    }

    /// <summary>Seals one record's content as <see cref="Seal(DetectionId, DetectionHeader, ReadOnlySpan{byte}, Span{byte})"/> does,
    /// with one owner's <see cref="SealingScratch"/>: the nonce from its block, the associated data laid out in its buffer,
    /// where the epoch prefix stays from one record to the next of the same sealer (the ingest path, issue #16).</summary>
    /// <param name="record">The record id.</param>
    /// <param name="header">The record's clear header.</param>
    /// <param name="plaintext">The communication content (R2.1).</param>
    /// <param name="destination">At least <see cref="SealedLength"/> bytes; must not overlap <paramref name="plaintext"/>.</param>
    /// <param name="scratch">The owner's scratch; not shared between threads.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="header"/> or <paramref name="scratch"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1. The blob opens with the context <see cref="SealingContext.For(EpochId, DetectionId, DetectionHeader)"/> of the same record.</remarks>
    public int Seal(DetectionId record, DetectionHeader header, ReadOnlySpan<byte> plaintext, Span<byte> destination, SealingScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(scratch);

        // Everything that holds for the whole epoch (the key's epoch, its NSec key, the blob overhead, the AAD prefix) was
        // settled at construction; per record only the destination's length is checked (issue #16). No overflow: the
        // left side is at least -_overhead.
        if (destination.Length - _overhead < plaintext.Length)
        {
            throw new ArgumentException($"The destination must hold {(long)_overhead + plaintext.Length} bytes; it holds {destination.Length}.", nameof(destination));
        }

        var prefixLength = _prefix.Length;
        var aadLength = prefixLength + 16 + header.CanonicalLength;
        var aad = scratch.AssociatedData;
        if (aad.Length < aadLength)
        {
            scratch.AssociatedData = aad = new byte[Math.Max(2 * aad.Length, aadLength)];
            scratch.PrefixFor = null;
        }

        if (!ReferenceEquals(scratch.PrefixFor, this))
        {
            _prefix.CopyTo(aad, 0);
            scratch.PrefixFor = this;
        }

        var variable = aad.AsSpan(prefixLength, aadLength - prefixLength);
        record.Value.TryWriteBytes(variable, bigEndian: true, out _);
        header.WriteCanonical(variable[16..]);
        return _sealer.SealTrusted(_aeadKey, aad.AsSpan(0, aadLength), plaintext, destination, scratch.Nonces);
    }
}
