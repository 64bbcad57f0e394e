using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Nii.Socs.Core.Audit;

/// <summary>One entry of the operation history (R6.4): who did what to which subject, chained to the previous entry by hash.</summary>
/// <remarks>
/// R6.4: the history of operations by the organization and participants is kept at least 3 months and never
/// deleted on a schedule. Each entry carries the SHA-256 of the previous entry (<see cref="PreviousHash"/>) and its
/// own hash (<see cref="Hash"/>) over <see cref="ToCanonicalBytes"/>, so changing any stored byte of an entry is
/// seen at that entry, and removing or reordering entries breaks the chain at the next one.
/// <para>Edge case: the first entry (sequence 1) chains to 32 zero bytes (<see cref="GenesisHash"/>).</para>
/// </remarks>
internal sealed record OperationEntry
{
    /// <summary>The length of a hash in bytes (SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>The previous hash of the first entry: 32 zero bytes.</summary>
    public static ReadOnlyMemory<byte> GenesisHash { get; } = new byte[HashLength];

    /// <summary>The sequence number, from 1, without gaps.</summary>
    public required long Sequence { get; init; }

    /// <summary>When the operation happened (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who acted: <c>org:staff-name</c>, <c>participant:u-tokyo:operator</c> or <c>system:…</c>.</summary>
    public required string Actor { get; init; }

    /// <summary>The operation, a dotted verb such as <c>retention.partition.deleted</c>.</summary>
    public required string Action { get; init; }

    /// <summary>What the operation concerned, such as <c>detections/u-tokyo/2026-11</c>.</summary>
    public required string Subject { get; init; }

    /// <summary>Free text details; never key bytes or plaintext content.</summary>
    public required string Details { get; init; }

    /// <summary>The hash of the previous entry; <see cref="GenesisHash"/> for the first.</summary>
    public required ReadOnlyMemory<byte> PreviousHash { get; init; }

    /// <summary>This entry's hash: SHA-256 of <see cref="ToCanonicalBytes"/>.</summary>
    public required ReadOnlyMemory<byte> Hash { get; init; }

    /// <summary>Creates the next entry of a chain, computing its hash.</summary>
    /// <param name="sequence">The sequence number (previous + 1, or 1).</param>
    /// <param name="at">When the operation happened.</param>
    /// <param name="actor">Who acted.</param>
    /// <param name="action">The operation.</param>
    /// <param name="subject">What it concerned.</param>
    /// <param name="details">Details (may be empty).</param>
    /// <param name="previousHash">The previous entry's hash, or <see cref="GenesisHash"/>.</param>
    /// <returns>The entry with its hash.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A text is null or empty (details may be empty), or the previous hash is not 32 bytes.</exception>
    /// <remarks>R6.4. Edge case: the same fields with a different previous hash give a different hash.</remarks>
    public static OperationEntry Create(long sequence, DateTimeOffset at, string actor, string action, string subject, string details, ReadOnlyMemory<byte> previousHash)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(details);
        if (previousHash.Length != HashLength)
        {
            throw new ArgumentException($"A previous hash is {HashLength} bytes; got {previousHash.Length}.", nameof(previousHash));
        }

        var entry = new OperationEntry
        {
            Sequence = sequence,
            At = at.ToUniversalTime(),
            Actor = actor,
            Action = action,
            Subject = subject,
            Details = details,
            PreviousHash = previousHash.ToArray(),
            Hash = ReadOnlyMemory<byte>.Empty,
        };
        return entry with { Hash = entry.ComputeHash() };
    }

    /// <summary>The deterministic bytes the hash covers: every field except <see cref="Hash"/>.</summary>
    /// <returns>Version byte 1, sequence and UTC ticks (big-endian 64-bit), four length-prefixed UTF-8 texts, the previous hash.</returns>
    public byte[] ToCanonicalBytes()
    {
        var texts = new[] { Actor, Action, Subject, Details };
        var length = 1 + 8 + 8 + PreviousHash.Length;
        foreach (var text in texts)
        {
            length += 4 + Encoding.UTF8.GetByteCount(text);
        }

        var buffer = new byte[length];
        var span = buffer.AsSpan();
        span[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(span[9..], At.UtcTicks);
        var offset = 17;
        foreach (var text in texts)
        {
            var written = Encoding.UTF8.GetBytes(text, span[(offset + 4)..]);
            BinaryPrimitives.WriteInt32BigEndian(span[offset..], written);
            offset += 4 + written;
        }

        PreviousHash.Span.CopyTo(span[offset..]);
        return buffer;
    }

    /// <summary>Computes the hash of this entry's fields (whatever <see cref="Hash"/> says).</summary>
    /// <returns>SHA-256 of <see cref="ToCanonicalBytes"/>.</returns>
    public byte[] ComputeHash() => SHA256.HashData(ToCanonicalBytes());

    /// <summary>A one-line form for operators.</summary>
    /// <returns>Sequence, instant, actor, action and subject.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"#{Sequence} {At:yyyy-MM-dd'T'HH:mm:ss'Z'} {Actor} {Action} {Subject}");
}
