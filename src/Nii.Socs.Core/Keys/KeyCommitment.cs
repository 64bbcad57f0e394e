using System.Security.Cryptography;
using System.Text;

namespace Nii.Socs.Core.Keys;

/// <summary>A commitment to an epoch key: a keyed hash that checks a presented key without revealing it (R8.1, R8.6).</summary>
/// <remarks>
/// <para>The value is HMAC-SHA256 keyed with the epoch key over the context
/// <c>"nii-socs/key-commitment/v1" 0x00 participant 0x00 index</c> (UTF-8, index in decimal). Stored
/// beside the wrapped forms, it lets the consent flow (R8.6) accept exactly the key of that epoch
/// and nothing else, in constant time.</para>
/// <para><b>Security:</b> learning the key from the commitment means inverting HMAC-SHA256 on a
/// 256-bit key; the context binds the commitment to its epoch, so a commitment of one epoch never
/// accepts the key of another.</para>
/// <para>Edge case: a presented key of 31 or 33 bytes is simply rejected (<c>false</c>), not an error.</para>
/// </remarks>
public sealed class KeyCommitment
{
    /// <summary>The size of a commitment, in bytes.</summary>
    public const int Size = 32;

    private readonly byte[] _value;

    private KeyCommitment(EpochId epoch, byte[] value)
    {
        Epoch = epoch;
        _value = value;
    }

    /// <summary>The epoch the committed key belongs to.</summary>
    public EpochId Epoch { get; }

    /// <summary>The commitment bytes.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Commits to a key.</summary>
    /// <param name="key">The key; its <see cref="EpochKey.Epoch"/> is bound in.</param>
    /// <returns>The commitment.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The key has been destroyed.</exception>
    /// <remarks>R8.1: stored with the wrapped set.</remarks>
    public static KeyCommitment Compute(EpochKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new KeyCommitment(key.Epoch, Mac(key.Epoch, key.Bytes));
    }

    /// <summary>Rebuilds a stored commitment.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="value">The <see cref="Size"/> commitment bytes.</param>
    /// <returns>The commitment.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not <see cref="Size"/> bytes.</exception>
    /// <remarks>R8.1.</remarks>
    public static KeyCommitment FromBytes(EpochId epoch, ReadOnlySpan<byte> value)
    {
        if (value.Length != Size)
        {
            throw new ArgumentException($"A key commitment is {Size} bytes; got {value.Length}.", nameof(value));
        }

        return new KeyCommitment(epoch, value.ToArray());
    }

    /// <summary>Whether presented key bytes are the committed key, compared in constant time.</summary>
    /// <param name="presentedKey">The bytes a participant presented.</param>
    /// <returns>True only for the committed key.</returns>
    /// <remarks>R8.6. Edge case: any length other than <see cref="EpochKey.Size"/> gives false.</remarks>
    internal bool Matches(ReadOnlySpan<byte> presentedKey)
    {
        if (presentedKey.Length != EpochKey.Size)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[Size];
        HMACSHA256.HashData(presentedKey, Context(Epoch), mac);
        return CryptographicOperations.FixedTimeEquals(mac, _value);
    }

    /// <summary>Whether a key is the committed key of this epoch.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True only when the key's epoch and bytes are the committed ones.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <remarks>R8.6.</remarks>
    public bool Matches(EpochKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Epoch == Epoch && Matches(key.Bytes);
    }

    /// <summary>The commitment as lower-case hex, with its epoch.</summary>
    /// <returns>For example <c>u-tokyo#2921:9f…</c>.</returns>
    public override string ToString() => $"{Epoch}:{Convert.ToHexStringLower(_value)}";

    private static byte[] Mac(EpochId epoch, ReadOnlySpan<byte> key) => HMACSHA256.HashData(key, Context(epoch));

    private static byte[] Context(EpochId epoch) =>
        Encoding.UTF8.GetBytes($"nii-socs/key-commitment/v1\0{epoch.Participant}\0{epoch.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}
