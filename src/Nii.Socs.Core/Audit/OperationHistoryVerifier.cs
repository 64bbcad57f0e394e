using System.Globalization;
using NSec.Cryptography;

namespace Nii.Socs.Core.Audit;

/// <summary>Checks an operation history entry by entry (R6.4): sequence, hash chain, signed checkpoints, tail truncation.</summary>
/// <remarks>
/// R6.4. Feed entries in stored order with <see cref="TryAccept"/>; report an unreadable stored entry with
/// <see cref="Unreadable"/>; then call <see cref="Complete"/>. The first problem wins. Checks, in order:
/// every checkpoint's signature; each entry's own hash, its sequence (previous + 1) and its link to the previous
/// hash; each checkpoint's hash against the entry it names; finally, that no checkpoint names an entry beyond
/// the end (a truncated tail).
/// <para>Edge case: a history of 0 entries with no checkpoint is intact ("ok 0 entries").</para>
/// </remarks>
public sealed class OperationHistoryVerifier
{
    private readonly Dictionary<long, HistoryCheckpoint> _bySequence = [];
    private readonly long? _lastCheckpoint;
    private HistoryVerification.Broken? _broken;
    private ReadOnlyMemory<byte> _previousHash = OperationEntry.GenesisHash;
    private long _count;

    /// <summary>Creates a verifier.</summary>
    /// <param name="checkpoints">The stored checkpoints, in any order.</param>
    /// <param name="publicKey">The organization's Ed25519 public key.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OperationHistoryVerifier(IEnumerable<HistoryCheckpoint> checkpoints, PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(publicKey);
        var ordered = checkpoints.OrderBy(c => c.Number).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var checkpoint = ordered[i];
            if (checkpoint.Number != i + 1)
            {
                _broken ??= new HistoryVerification.Broken(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{i + 1} is missing (found #{checkpoint.Number})"));
            }
            else if (!checkpoint.HasValidSignature(publicKey))
            {
                _broken ??= new HistoryVerification.Broken(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} has no valid signature of the organization's key"));
            }

            if (!_bySequence.TryAdd(checkpoint.Sequence, checkpoint)
                && !_bySequence[checkpoint.Sequence].EntryHash.Span.SequenceEqual(checkpoint.EntryHash.Span))
            {
                _broken ??= new HistoryVerification.Broken(checkpoint.Sequence, string.Create(CultureInfo.InvariantCulture, $"checkpoint #{checkpoint.Number} contradicts an earlier checkpoint"));
            }
        }

        _lastCheckpoint = ordered.Count == 0 ? null : ordered[^1].Number;
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
            return new HistoryVerification.Broken(_count + 1, string.Create(CultureInfo.InvariantCulture, $"the history ends at entry {_count} but checkpoint #{beyond.Number} signed entry {beyond.Sequence}: the tail was truncated"));
        }

        return new HistoryVerification.Intact(_count, _lastCheckpoint);
    }

    private bool Fail(long sequence, string reason)
    {
        _broken ??= new HistoryVerification.Broken(sequence, reason);
        return false;
    }
}
