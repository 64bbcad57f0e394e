using NSec.Cryptography;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Sealing;

/// <summary>Seals and opens the communication content of detections with the epoch key (R7.1).</summary>
/// <remarks>
/// <para>Blob format: version (1 byte, 1), algorithm id (1 byte, <see cref="SealingAlgorithm"/>),
/// nonce (24 bytes for XChaCha20-Poly1305, 32 for AEGIS-256), then ciphertext and tag (16 or 32 bytes).
/// The associated data is the <see cref="SealingContext"/>; the version and algorithm bytes need no
/// binding because changing either changes how (and whether) the rest is opened at all.</para>
/// <para><see cref="Default"/> uses the algorithm chosen by the sealing benchmark
/// (docs/decisions/0002-aead-choice.md); <see cref="TryOpen(EpochKey, SealingContext, ReadOnlySpan{byte}, Span{byte}, out int, out OpenFailure)"/>
/// reads whatever algorithm a blob names, so the choice can change without re-sealing old records.</para>
/// <para><b>Security:</b> nonces are drawn at random per blob by this class (never passed in); at
/// 24 bytes or more the chance of a repeat under one weekly key is negligible.</para>
/// <para>Edge case: sealing an empty content gives a valid blob of header, nonce and tag only.</para>
/// </remarks>
internal sealed class ContentSealer
{
    /// <summary>The format version written by this library.</summary>
    public const byte FormatVersion = 1;

    private const int HeaderSize = 2;

    // Declared before Default, which reads it while the type initialises.
    private static readonly Lazy<bool> s_aegisSupported = new(ProbeAegis);

    private readonly AeadAlgorithm _aead;

    /// <summary>Creates a sealer for one algorithm.</summary>
    /// <param name="algorithm">The AEAD.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="algorithm"/> is not a defined value.</exception>
    /// <exception cref="PlatformNotSupportedException">AEGIS-256 was asked for on a CPU without AES instructions.</exception>
    /// <remarks>R7.1.</remarks>
    public ContentSealer(SealingAlgorithm algorithm)
    {
        _aead = AeadOf(algorithm) ?? throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Use XChaCha20Poly1305 or Aegis256.");
        if (!IsSupported(algorithm))
        {
            throw new PlatformNotSupportedException($"{algorithm} is not supported on this CPU.");
        }

        Algorithm = algorithm;
    }

    /// <summary>The sealer with the algorithm chosen by benchmark (docs/decisions/0002-aead-choice.md).</summary>
    /// <value>AEGIS-256 where the CPU supports it, XChaCha20-Poly1305 otherwise.</value>
    public static ContentSealer Default { get; } = new(IsSupported(SealingAlgorithm.Aegis256) ? SealingAlgorithm.Aegis256 : SealingAlgorithm.XChaCha20Poly1305);

    /// <summary>The AEAD this sealer writes.</summary>
    public SealingAlgorithm Algorithm { get; }

    /// <summary>Whether this machine can run an algorithm.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <returns>True when it can seal and open with it.</returns>
    /// <remarks>R7.1. AEGIS-256 in libsodium needs AES-NI (x64) or the ARMv8 crypto extensions.</remarks>
    public static bool IsSupported(SealingAlgorithm algorithm) => algorithm switch
    {
        SealingAlgorithm.XChaCha20Poly1305 => true,
        SealingAlgorithm.Aegis256 => s_aegisSupported.Value,
        _ => false,
    };

    /// <summary>The length of the blob for a content length.</summary>
    /// <param name="plaintextLength">The content length.</param>
    /// <returns>Header, nonce, ciphertext and tag.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="plaintextLength"/> is negative.</exception>
    /// <remarks>R7.1. Edge case: 64 bytes of content seal into 106 bytes with XChaCha20-Poly1305, 130 with AEGIS-256.</remarks>
    public int SealedLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return HeaderSize + _aead.NonceSize + plaintextLength + _aead.TagSize;
    }

    /// <summary>Seals content into a caller's buffer.</summary>
    /// <param name="key">The epoch key of <paramref name="context"/>'s epoch.</param>
    /// <param name="context">What the blob is bound to.</param>
    /// <param name="plaintext">The communication content (R2.1).</param>
    /// <param name="destination">At least <see cref="SealedLength"/> bytes; must not overlap <paramref name="plaintext"/>.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The key is of another epoch than the context, or <paramref name="destination"/> is too small.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1.</remarks>
    public int Seal(EpochKey key, SealingContext context, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(context);
        if (key.Epoch != context.Epoch)
        {
            throw new ArgumentException($"The key of {key.Epoch} cannot seal content of {context.Epoch}.", nameof(key));
        }

        var length = SealedLength(plaintext.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold {length} bytes; it holds {destination.Length}.", nameof(destination));
        }

        return SealTrusted(key, context.AssociatedData, plaintext, destination);
    }

    /// <summary>Seals with associated data the caller has laid out as a <see cref="SealingContext"/> would; the caller has
    /// checked the key's epoch and the destination's length (the ingest path's <see cref="EpochSealer"/>).</summary>
    internal int SealTrusted(EpochKey key, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var nonceSize = _aead.NonceSize;
        var length = HeaderSize + nonceSize + plaintext.Length + _aead.TagSize;
        System.Diagnostics.Debug.Assert(destination.Length >= length, "The caller sized the destination.");
        destination[0] = FormatVersion;
        destination[1] = (byte)Algorithm;
        var nonce = destination.Slice(HeaderSize, nonceSize);
        KeyMaterial.FillNonce(nonce);
        _aead.Encrypt(key.AeadKey(_aead), nonce, associatedData, plaintext, destination.Slice(HeaderSize + nonceSize, plaintext.Length + _aead.TagSize));
        return length;
    }

    /// <summary>Seals as <see cref="SealTrusted(EpochKey, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> with the
    /// epoch key's NSec key already looked up and the nonce drawn from its owner's <see cref="NonceBlock"/> (the ingest
    /// path's <see cref="EpochSealer"/> with a <see cref="SealingScratch"/>, issue #16).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal int SealTrusted(Key aeadKey, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination, NonceBlock nonces)
    {
        var nonceSize = _aead.NonceSize;
        var body = plaintext.Length + _aead.TagSize;
        System.Diagnostics.Debug.Assert(destination.Length >= HeaderSize + nonceSize + body, "The caller sized the destination.");
        var nonce = destination.Slice(HeaderSize, nonceSize);
        var sealedBody = destination.Slice(HeaderSize + nonceSize, body);
        destination[0] = FormatVersion;
        destination[1] = (byte)Algorithm;
        nonces.Fill(nonce);
        _aead.Encrypt(aeadKey, nonce, associatedData, plaintext, sealedBody);
        return HeaderSize + nonceSize + body;
    }

    /// <summary>The NSec key of an epoch key for this sealer's AEAD (imported once per epoch key and AEAD).</summary>
    internal Key AeadKeyOf(EpochKey key) => key.AeadKey(_aead);

    /// <summary>Seals content into a new array.</summary>
    /// <param name="key">The epoch key of <paramref name="context"/>'s epoch.</param>
    /// <param name="context">What the blob is bound to.</param>
    /// <param name="plaintext">The communication content.</param>
    /// <returns>The blob.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The key is of another epoch than the context.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1.</remarks>
    public byte[] Seal(EpochKey key, SealingContext context, ReadOnlySpan<byte> plaintext)
    {
        var blob = new byte[SealedLength(plaintext.Length)];
        Seal(key, context, plaintext, blob);
        return blob;
    }

    /// <summary>The content length a blob holds, or -1 when the blob is malformed or of an unknown algorithm.</summary>
    /// <param name="blob">The sealed blob.</param>
    /// <returns>The plaintext length, or -1.</returns>
    /// <remarks>R7.1.</remarks>
    public static int PlaintextLength(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderSize || blob[0] != FormatVersion || AeadOf((SealingAlgorithm)blob[1]) is not { } aead)
        {
            return -1;
        }

        var length = blob.Length - HeaderSize - aead.NonceSize - aead.TagSize;
        return length < 0 ? -1 : length;
    }

    /// <summary>Opens a blob into a caller's buffer.</summary>
    /// <param name="key">The key presented for the record's epoch.</param>
    /// <param name="context">The record the blob is read from.</param>
    /// <param name="blob">The sealed blob.</param>
    /// <param name="plaintext">At least <see cref="PlaintextLength"/> bytes.</param>
    /// <param name="written">The content length when opened.</param>
    /// <param name="failure">Why it did not open, or <see cref="OpenFailure.None"/>.</param>
    /// <returns>Whether the blob opened.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="plaintext"/> is too small for a well-formed blob.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1. Edge case: a blob copied into another record of the same epoch gives
    /// <see cref="OpenFailure.NotAuthentic"/>; a key of another epoch gives <see cref="OpenFailure.WrongEpoch"/>.</remarks>
    internal static bool TryOpen(EpochKey key, SealingContext context, ReadOnlySpan<byte> blob, Span<byte> plaintext, out int written, out OpenFailure failure)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(context);
        written = 0;
        if (!TryParse(blob, key, context, out var aead, out failure))
        {
            return false;
        }

        var length = blob.Length - HeaderSize - aead!.NonceSize - aead.TagSize;
        if (plaintext.Length < length)
        {
            throw new ArgumentException($"The destination must hold {length} bytes; it holds {plaintext.Length}.", nameof(plaintext));
        }

        var nonce = blob.Slice(HeaderSize, aead.NonceSize);
        if (!aead.Decrypt(key.AeadKey(aead), nonce, context.AssociatedData, blob[(HeaderSize + aead.NonceSize)..], plaintext[..length]))
        {
            failure = OpenFailure.NotAuthentic;
            return false;
        }

        written = length;
        return true;
    }

    /// <summary>Opens a blob into a new array.</summary>
    /// <param name="key">The key presented for the record's epoch.</param>
    /// <param name="context">The record the blob is read from.</param>
    /// <param name="blob">The sealed blob.</param>
    /// <param name="plaintext">The content when opened; null otherwise.</param>
    /// <param name="failure">Why it did not open, or <see cref="OpenFailure.None"/>.</param>
    /// <returns>Whether the blob opened.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed (R8.4).</exception>
    /// <remarks>R7.1.</remarks>
    internal static bool TryOpen(EpochKey key, SealingContext context, ReadOnlySpan<byte> blob, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? plaintext, out OpenFailure failure)
    {
        plaintext = null;
        var length = PlaintextLength(blob);
        var buffer = new byte[Math.Max(length, 0)];
        if (length < 0)
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(context);
            TryParse(blob, key, context, out _, out failure);
            return false;
        }

        if (!TryOpen(key, context, blob, buffer, out _, out failure))
        {
            return false;
        }

        plaintext = buffer;
        return true;
    }

    private static bool TryParse(ReadOnlySpan<byte> blob, EpochKey key, SealingContext context, out AeadAlgorithm? aead, out OpenFailure failure)
    {
        aead = null;
        if (key.Epoch.Participant != context.Epoch.Participant)
        {
            failure = OpenFailure.WrongParticipant;
            return false;
        }

        if (key.Epoch != context.Epoch)
        {
            failure = OpenFailure.WrongEpoch;
            return false;
        }

        if (blob.Length < HeaderSize)
        {
            failure = OpenFailure.Malformed;
            return false;
        }

        if (blob[0] != FormatVersion)
        {
            failure = OpenFailure.UnsupportedVersion;
            return false;
        }

        var algorithm = (SealingAlgorithm)blob[1];
        aead = AeadOf(algorithm);
        if (aead is null || !IsSupported(algorithm))
        {
            failure = OpenFailure.UnknownAlgorithm;
            return false;
        }

        if (blob.Length < HeaderSize + aead.NonceSize + aead.TagSize)
        {
            failure = OpenFailure.Malformed;
            return false;
        }

        failure = OpenFailure.None;
        return true;
    }

    private static AeadAlgorithm? AeadOf(SealingAlgorithm algorithm) => algorithm switch
    {
        SealingAlgorithm.XChaCha20Poly1305 => AeadAlgorithm.XChaCha20Poly1305,
        SealingAlgorithm.Aegis256 => AeadAlgorithm.Aegis256,
        _ => null,
    };

    // NSec refuses AEGIS-256 on CPUs without AES instructions when a key is created; probe once.
    private static bool ProbeAegis()
    {
        try
        {
            using var key = Key.Create(AeadAlgorithm.Aegis256);
            return true;
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    }
}
