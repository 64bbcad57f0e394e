using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Nii.Socs.Core.Audit;

/// <summary>A signed statement of the organization: "the history had entry <see cref="Sequence"/> with hash
/// <see cref="EntryHash"/>, and my checkpoint before this one was <see cref="PreviousCheckpointHash"/>" (R6.4).</summary>
/// <remarks>
/// R6.4: checkpoints are signed with the organization's Ed25519 key every N entries, every T of time while running
/// and at shutdown. Because the signed hash pins the whole chain up to <see cref="Sequence"/>, a history cut short
/// before that entry, or rewritten up to it, no longer matches a valid signature. Checkpoints are themselves
/// chained (each signs the hash of the one before), so a checkpoint removed from the middle, or the tail of
/// checkpoints removed while a later one survives in a witness, is a gap the verifier names.
/// <para><see cref="KeyId"/> names the signing key (the first 8 bytes of SHA-256 of its raw public key), so a
/// checkpoint signed by another key is told apart from a forged signature.</para>
/// <para>Edge case: entries appended after the last checkpoint are chained but not yet signed; a truncation among
/// them cannot be told from a crash before they were written unless the log's own commit record still covers them.</para>
/// </remarks>
internal sealed record HistoryCheckpoint
{
    /// <summary>The length of <see cref="KeyId"/> in bytes.</summary>
    public const int KeyIdLength = 8;

    private const string LineVersion = "v2";
    private static readonly byte[] s_domain = Encoding.ASCII.GetBytes("nii-socs/operation-history/checkpoint/v2");

    /// <summary>The <see cref="PreviousCheckpointHash"/> of checkpoint #1: 32 zero bytes.</summary>
    public static ReadOnlyMemory<byte> NoPreviousCheckpoint { get; } = new byte[OperationEntry.HashLength];

    /// <summary>The checkpoint number, from 1, without gaps.</summary>
    public required long Number { get; init; }

    /// <summary>The sequence number of the entry it signs.</summary>
    public required long Sequence { get; init; }

    /// <summary>The hash of that entry.</summary>
    public required ReadOnlyMemory<byte> EntryHash { get; init; }

    /// <summary>The <see cref="ComputeHash"/> of the checkpoint before it; <see cref="NoPreviousCheckpoint"/> for #1.</summary>
    public required ReadOnlyMemory<byte> PreviousCheckpointHash { get; init; }

    /// <summary>When it was signed (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Which key signed it: <see cref="KeyIdOf"/> of the signing key's public half.</summary>
    public required ReadOnlyMemory<byte> KeyId { get; init; }

    /// <summary>The Ed25519 signature over <see cref="ToSignedBytes"/>.</summary>
    public required ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>Signs the checkpoint that follows <paramref name="previous"/> for an entry.</summary>
    /// <param name="previous">The last checkpoint signed so far; null for checkpoint #1.</param>
    /// <param name="entry">The entry to pin.</param>
    /// <param name="at">When it is signed.</param>
    /// <param name="key">The organization's Ed25519 key.</param>
    /// <returns>The signed checkpoint, numbered one after <paramref name="previous"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> or <paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException">The key is not an Ed25519 key, or the entry is before the previous checkpoint's.</exception>
    /// <remarks>R6.4. <para><b>Security:</b> the key never leaves <see cref="Key"/>; only the signature is stored.</para></remarks>
    public static HistoryCheckpoint Sign(HistoryCheckpoint? previous, OperationEntry entry, DateTimeOffset at, Key key)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm is not Ed25519)
        {
            throw new ArgumentException("Checkpoints are signed with Ed25519.", nameof(key));
        }

        if (previous is not null && entry.Sequence < previous.Sequence)
        {
            throw new ArgumentException("A checkpoint never signs an entry before the previous checkpoint's.", nameof(entry));
        }

        var unsigned = new HistoryCheckpoint
        {
            Number = (previous?.Number ?? 0) + 1,
            Sequence = entry.Sequence,
            EntryHash = entry.Hash.ToArray(),
            PreviousCheckpointHash = previous?.ComputeHash() ?? NoPreviousCheckpoint.ToArray(),
            At = at.ToUniversalTime(),
            KeyId = KeyIdOf(key.PublicKey),
            Signature = ReadOnlyMemory<byte>.Empty,
        };
        return unsigned with { Signature = SignatureAlgorithm.Ed25519.Sign(key, unsigned.ToSignedBytes()) };
    }

    /// <summary>The identifier of a public key: the first 8 bytes of SHA-256 of its raw form.</summary>
    /// <param name="publicKey">An Ed25519 public key.</param>
    /// <returns>8 bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="publicKey"/> is null.</exception>
    public static byte[] KeyIdOf(PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return SHA256.HashData(publicKey.Export(KeyBlobFormat.RawPublicKey))[..KeyIdLength];
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
    /// <returns>A domain tag; number, sequence, UTC ticks (big-endian 64-bit); the entry hash, the previous checkpoint's hash and the key id.</returns>
    public byte[] ToSignedBytes()
    {
        var buffer = new byte[s_domain.Length + 24 + EntryHash.Length + PreviousCheckpointHash.Length + KeyId.Length];
        s_domain.CopyTo(buffer, 0);
        var span = buffer.AsSpan(s_domain.Length);
        BinaryPrimitives.WriteInt64BigEndian(span, Number);
        BinaryPrimitives.WriteInt64BigEndian(span[8..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(span[16..], At.UtcTicks);
        EntryHash.Span.CopyTo(span[24..]);
        PreviousCheckpointHash.Span.CopyTo(span[(24 + EntryHash.Length)..]);
        KeyId.Span.CopyTo(span[(24 + EntryHash.Length + PreviousCheckpointHash.Length)..]);
        return buffer;
    }

    /// <summary>The hash the next checkpoint signs: SHA-256 of <see cref="ToSignedBytes"/> followed by <see cref="Signature"/>.</summary>
    /// <returns>32 bytes.</returns>
    public byte[] ComputeHash()
    {
        var signed = ToSignedBytes();
        var all = new byte[signed.Length + Signature.Length];
        signed.CopyTo(all, 0);
        Signature.Span.CopyTo(all.AsSpan(signed.Length));
        return SHA256.HashData(all);
    }

    /// <summary>The checkpoint as one line: <c>v2</c>, number, sequence, entry hash, previous checkpoint hash, instant, key id, signature.</summary>
    /// <returns>Space-separated fields, hex for bytes.</returns>
    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"{LineVersion} {Number} {Sequence} {Convert.ToHexStringLower(EntryHash.Span)} {Convert.ToHexStringLower(PreviousCheckpointHash.Span)} {At.UtcTicks} {Convert.ToHexStringLower(KeyId.Span)} {Convert.ToHexStringLower(Signature.Span)}");

    /// <summary>The checkpoint for an operator: number, entry, instant and key.</summary>
    /// <returns>Such as <c>checkpoint #4 signs entry 120 (3f2a…) at 2026-11-29T01:00:00Z with key 1a2b3c4d5e6f7a8b</c>.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"checkpoint #{Number} signs entry {Sequence} ({Convert.ToHexStringLower(EntryHash.Span[..8])}…) at {At:yyyy-MM-dd'T'HH:mm:ss'Z'} with key {Convert.ToHexStringLower(KeyId.Span)}");

    /// <summary>Parses <see cref="ToLine"/>.</summary>
    /// <param name="line">The line.</param>
    /// <param name="checkpoint">The checkpoint when the line is well formed.</param>
    /// <returns>Whether the line is a checkpoint.</returns>
    public static bool TryParseLine(string? line, out HistoryCheckpoint? checkpoint)
    {
        checkpoint = null;
        var parts = line?.Split(' ');
        const int hex = OperationEntry.HashLength * 2;
        if (parts is not { Length: 8 }
            || parts[0] != LineVersion
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || parts[3].Length != hex
            || parts[4].Length != hex
            || parts[6].Length != KeyIdLength * 2
            || parts[7].Length != 128)
        {
            return false;
        }

        try
        {
            checkpoint = new HistoryCheckpoint
            {
                Number = number,
                Sequence = sequence,
                EntryHash = Convert.FromHexString(parts[3]),
                PreviousCheckpointHash = Convert.FromHexString(parts[4]),
                At = new DateTimeOffset(ticks, TimeSpan.Zero),
                KeyId = Convert.FromHexString(parts[6]),
                Signature = Convert.FromHexString(parts[7]),
            };
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
