using System.Globalization;
using NSec.Cryptography;

namespace Nii.Socs.Core.Audit;

/// <summary>Checks an operation history entry by entry (R6.4): sequence, hash chain, the chain of signed checkpoints
/// (the data directory's and a witness's), tail truncation.</summary>
/// <remarks>
/// R6.4. Feed entries in stored order with <see cref="TryAccept"/>; report an unreadable stored entry with
/// <see cref="Unreadable"/> and a log that ends before its own commit record with <see cref="EndsEarly"/>; then
/// call <see cref="Complete"/>. The first problem wins. Checks, in order: that the data directory's and the
/// witness's copies of each checkpoint agree; that checkpoints are numbered 1, 2, … without a gap and each signs
/// the hash of the one before; that each is signed by the trusted key (a checkpoint signed by another key is
/// reported as a changed signing key); each entry's own hash, its sequence (previous + 1) and its link to the
/// previous hash; each checkpoint's hash against the entry it names; finally, that no checkpoint (local or
/// witnessed) names an entry beyond the end, which names the first missing entry.
/// <para>Edge case: a history of 0 entries with no checkpoint is intact ("ok 0 entries").</para>
/// </remarks>
internal sealed class OperationHistoryVerifier
{
    private readonly Dictionary<long, HistoryCheckpoint> _bySequence = [];
    private readonly HashSet<long> _witnessedNumbers = [];
    private readonly HistoryCheckpoint? _last;
    private readonly long? _lastWitnessed;
    private HistoryVerification.Broken? _broken;
    private ReadOnlyMemory<byte> _previousHash = OperationEntry.GenesisHash;
    private long _count;

    /// <summary>Creates a verifier of the data directory's checkpoints only.</summary>
    /// <param name="checkpoints">The stored checkpoints, in any order.</param>
    /// <param name="publicKey">The organization's Ed25519 public key.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OperationHistoryVerifier(IEnumerable<HistoryCheckpoint> checkpoints, PublicKey publicKey)
        : this(checkpoints, [], publicKey)
    {
    }

    /// <summary>Creates a verifier of the data directory's checkpoints and a witness's copies of them.</summary>
    /// <param name="checkpoints">The data directory's checkpoints, in any order.</param>
    /// <param name="witnessed">The checkpoints a witness kept (outside the data directory), in any order; empty when there is none.</param>
    /// <param name="publicKey">The trusted Ed25519 public key (the witness's pinned key when there is one).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OperationHistoryVerifier(IEnumerable<HistoryCheckpoint> checkpoints, IEnumerable<HistoryCheckpoint> witnessed, PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(witnessed);
        ArgumentNullException.ThrowIfNull(publicKey);
        var merged = new SortedDictionary<long, HistoryCheckpoint>();
        foreach (var checkpoint in checkpoints)
        {
            if (!merged.TryAdd(checkpoint.Number, checkpoint) && !SameCheckpoint(merged[checkpoint.Number], checkpoint))
            {
                Fail(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} is stored twice with different contents"));
            }
        }

        foreach (var checkpoint in witnessed)
        {
            _witnessedNumbers.Add(checkpoint.Number);
            _lastWitnessed = Math.Max(_lastWitnessed ?? 0, checkpoint.Number);
            if (merged.TryGetValue(checkpoint.Number, out var local) && !SameCheckpoint(local, checkpoint))
            {
                Fail(Math.Min(local.Sequence, checkpoint.Sequence), local.KeyId.Span.SequenceEqual(checkpoint.KeyId.Span)
                    ? string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} in the data directory differs from the witness's copy (entry {local.Sequence} there, {checkpoint.Sequence} in the witness): it was rewritten")
                    : string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} in the data directory is signed by key {Convert.ToHexStringLower(local.KeyId.Span)}, the witness's copy by key {Convert.ToHexStringLower(checkpoint.KeyId.Span)}: the signing key changed"));
            }

            // The witness's copy is the one trusted: the data directory is what an insider can rewrite.
            merged[checkpoint.Number] = checkpoint;
        }

        var trustedKey = HistoryCheckpoint.KeyIdOf(publicKey);
        HistoryCheckpoint? previous = null;
        foreach (var checkpoint in merged.Values)
        {
            var expected = (previous?.Number ?? 0) + 1;
            var firstUnsigned = (previous?.Sequence ?? 0) + 1;
            if (checkpoint.Number != expected)
            {
                Fail(firstUnsigned, string.Create(
                    CultureInfo.InvariantCulture,
                    $"checkpoint #{expected} is missing (the chain goes from {(previous is null ? "its start" : "#" + previous.Number.ToString(CultureInfo.InvariantCulture))} to #{checkpoint.Number}): entries {firstUnsigned} to {checkpoint.Sequence} lost a signature"));
            }
            else if (!checkpoint.KeyId.Span.SequenceEqual(trustedKey))
            {
                Fail(firstUnsigned, string.Create(
                    CultureInfo.InvariantCulture,
                    $"checkpoint #{checkpoint.Number} is signed by key {Convert.ToHexStringLower(checkpoint.KeyId.Span)}, not the trusted key {Convert.ToHexStringLower(trustedKey)}: the signing key changed"));
            }
            else if (!checkpoint.HasValidSignature(publicKey))
            {
                Fail(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} has no valid signature of the organization's key"));
            }
            else if (!checkpoint.PreviousCheckpointHash.Span.SequenceEqual(previous?.ComputeHash() ?? HistoryCheckpoint.NoPreviousCheckpoint.Span))
            {
                Fail(firstUnsigned, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} does not sign the hash of checkpoint #{checkpoint.Number - 1}: the checkpoint chain was altered"));
            }
            else if (previous is not null && checkpoint.Sequence < previous.Sequence)
            {
                Fail(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} signs entry {checkpoint.Sequence}, before checkpoint #{previous.Number}'s entry {previous.Sequence}"));
            }

            if (!_bySequence.TryAdd(checkpoint.Sequence, checkpoint)
                && !_bySequence[checkpoint.Sequence].EntryHash.Span.SequenceEqual(checkpoint.EntryHash.Span))
            {
                Fail(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} contradicts an earlier checkpoint"));
            }

            previous = checkpoint;
        }

        _last = previous;
    }

    /// <summary>Checks the next stored entry.</summary>
    /// <param name="entry">The entry as read.</param>
    /// <returns>False once a problem is found; further entries are then ignored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> is null.</exception>
    public bool TryAccept(OperationEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_broken is not null)
        {
            return false;
        }

        var expected = _count + 1;
        if (!entry.ComputeHash().AsSpan().SequenceEqual(entry.Hash.Span))
        {
            return Fail(expected, "its hash does not match its contents");
        }

        if (entry.Sequence != expected)
        {
            return Fail(expected, string.Create(CultureInfo.InvariantCulture, $"found sequence number {entry.Sequence} where {expected} was expected"));
        }

        if (!entry.PreviousHash.Span.SequenceEqual(_previousHash.Span))
        {
            return Fail(expected, "its previous-entry hash does not match the entry before it");
        }

        if (_bySequence.TryGetValue(entry.Sequence, out var checkpoint) && !checkpoint.EntryHash.Span.SequenceEqual(entry.Hash.Span))
        {
            return Fail(expected, string.Create(CultureInfo.InvariantCulture, $"it differs from the entry signed by checkpoint #{checkpoint.Number}"));
        }

        _previousHash = entry.Hash;
        _count = expected;
        return true;
    }

    /// <summary>Records that the next stored entry could not be read or decoded.</summary>
    /// <param name="why">What was wrong.</param>
    /// <exception cref="ArgumentNullException"><paramref name="why"/> is null.</exception>
    public void Unreadable(string why)
    {
        ArgumentNullException.ThrowIfNull(why);
        Fail(_count + 1, "it cannot be read: " + why);
    }

    /// <summary>Records that the readable entries stop before the end the log's own commit record names
    /// (bytes zeroed or cut after the last entry accepted).</summary>
    /// <param name="why">What the log says its end is.</param>
    /// <exception cref="ArgumentNullException"><paramref name="why"/> is null.</exception>
    public void EndsEarly(string why)
    {
        ArgumentNullException.ThrowIfNull(why);
        Fail(_count + 1, string.Create(CultureInfo.InvariantCulture, $"it is missing: the readable history ends at entry {_count} but {why}"));
    }

    /// <summary>Finishes: checks the tail against the checkpoints and returns the outcome.</summary>
    /// <returns><see cref="HistoryVerification.Intact"/> or the first <see cref="HistoryVerification.Broken"/>.</returns>
    public HistoryVerification Complete()
    {
        if (_broken is not null)
        {
            return _broken;
        }

        var beyond = _bySequence.Values.Where(c => c.Sequence > _count).OrderBy(c => c.Sequence).FirstOrDefault();
        if (beyond is not null)
        {
            var whose = _witnessedNumbers.Contains(beyond.Number) ? "the witness's checkpoint" : "checkpoint";
            return new HistoryVerification.Broken(_count + 1, string.Create(
                CultureInfo.InvariantCulture,
                $"it is missing: the history ends at entry {_count} but {whose} #{beyond.Number} signed entry {beyond.Sequence}: the tail was truncated"));
        }

        return new HistoryVerification.Intact(_count, _last?.Number)
        {
            SignedThrough = _last?.Sequence ?? 0,
            LastWitnessed = _lastWitnessed,
        };
    }

    private static bool SameCheckpoint(HistoryCheckpoint a, HistoryCheckpoint b) => a.ToLine() == b.ToLine();

    private bool Fail(long sequence, string reason)
    {
        _broken ??= new HistoryVerification.Broken(sequence, reason);
        return false;
    }
}
