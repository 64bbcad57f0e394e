using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NSec.Cryptography;

namespace Nii.Socs.Core.Audit;

/// <summary>A signed statement of the organization: "the history had entry <see cref="Sequence"/> with hash <see cref="EntryHash"/>" (R6.4).</summary>
/// <remarks>
/// R6.4: checkpoints are signed with the organization's Ed25519 key every N entries and at shutdown. Because the
/// signed hash pins the whole chain up to <see cref="Sequence"/>, a history cut short before that entry, or
/// rewritten up to it, no longer matches a valid signature.
/// <para>Edge case: entries appended after the last checkpoint are chained but not yet signed; a truncation among
/// them cannot be told from a crash before they were written.</para>
/// </remarks>
public sealed record HistoryCheckpoint
{
    private static readonly byte[] s_domain = Encoding.ASCII.GetBytes("nii-socs/operation-history/checkpoint/v1");

    /// <summary>The checkpoint number, from 1.</summary>
    public required long Number { get; init; }

    /// <summary>The sequence number of the entry it signs.</summary>
    public required long Sequence { get; init; }

    /// <summary>The hash of that entry.</summary>
    public required ReadOnlyMemory<byte> EntryHash { get; init; }

    /// <summary>When it was signed (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The Ed25519 signature over <see cref="ToSignedBytes"/>.</summary>
    public required ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>Signs a checkpoint for an entry.</summary>
    /// <param name="number">The checkpoint number.</param>
    /// <param name="entry">The entry to pin.</param>
    /// <param name="at">When it is signed.</param>
    /// <param name="key">The organization's Ed25519 key.</param>
    /// <returns>The signed checkpoint.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The key is not an Ed25519 key.</exception>
    /// <remarks>R6.4. <para><b>Security:</b> the key never leaves <see cref="Key"/>; only the signature is stored.</para></remarks>
    public static HistoryCheckpoint Sign(long number, OperationEntry entry, DateTimeOffset at, Key key)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm is not Ed25519)
        {
            throw new ArgumentException("Checkpoints are signed with Ed25519.", nameof(key));
        }

        var unsigned = new HistoryCheckpoint { Number = number, Sequence = entry.Sequence, EntryHash = entry.Hash.ToArray(), At = at.ToUniversalTime(), Signature = ReadOnlyMemory<byte>.Empty };
        return unsigned with { Signature = SignatureAlgorithm.Ed25519.Sign(key, unsigned.ToSignedBytes()) };
    }

    /// <summary>Whether the signature is valid under a public key.</summary>
    /// <param name="publicKey">The organization's Ed25519 public key.</param>
    /// <returns>True when the signature verifies.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="publicKey"/> is null.</exception>
    public bool HasValidSignature(PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return publicKey.Algorithm is Ed25519 && SignatureAlgorithm.Ed25519.Verify(publicKey, ToSignedBytes(), Signature.Span);
    }

    /// <summary>The bytes the signature covers.</summary>
    /// <returns>A domain tag, number, sequence, UTC ticks (big-endian 64-bit) and the entry hash.</returns>
    public byte[] ToSignedBytes()
    {
        var buffer = new byte[s_domain.Length + 24 + EntryHash.Length];
        s_domain.CopyTo(buffer, 0);
        var span = buffer.AsSpan(s_domain.Length);
        BinaryPrimitives.WriteInt64BigEndian(span, Number);
        BinaryPrimitives.WriteInt64BigEndian(span[8..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(span[16..], At.UtcTicks);
        EntryHash.Span.CopyTo(span[24..]);
        return buffer;
    }

    /// <summary>The checkpoint as one line: number, sequence, hash, instant, signature.</summary>
    /// <returns>Space-separated fields, hex for bytes.</returns>
    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Number} {Sequence} {Convert.ToHexStringLower(EntryHash.Span)} {At.UtcTicks} {Convert.ToHexStringLower(Signature.Span)}");

    /// <summary>Parses <see cref="ToLine"/>.</summary>
    /// <param name="line">The line.</param>
    /// <param name="checkpoint">The checkpoint when the line is well formed.</param>
    /// <returns>Whether the line is a checkpoint.</returns>
    public static bool TryParseLine(string? line, out HistoryCheckpoint? checkpoint)
    {
        checkpoint = null;
        var parts = line?.Split(' ');
        if (parts is not { Length: 5 }
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || parts[2].Length != OperationEntry.HashLength * 2
            || parts[4].Length != 128)
        {
            return false;
        }

        try
        {
            checkpoint = new HistoryCheckpoint
            {
                Number = number,
                Sequence = sequence,
                EntryHash = Convert.FromHexString(parts[2]),
                At = new DateTimeOffset(ticks, TimeSpan.Zero),
                Signature = Convert.FromHexString(parts[4]),
            };
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
