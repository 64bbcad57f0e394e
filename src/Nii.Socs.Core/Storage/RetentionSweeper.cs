using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Retention;

namespace Nii.Socs.Core.Storage;

/// <summary>What a sweep deleted (or, in a dry run, would delete).</summary>
/// <param name="At">The instant the decisions were made for.</param>
/// <param name="DryRun">Whether nothing was deleted.</param>
/// <param name="Partitions">Partitions deleted, with their expiry.</param>
/// <param name="EpochKeys">Epoch keys deleted.</param>
/// <param name="Resumed">Partition directories left by an interrupted sweep and finished now.</param>
internal sealed record SweepReport(DateTimeOffset At, bool DryRun, IReadOnlyList<PartitionDeletion> Partitions, IReadOnlyList<EpochKeyDeletion> EpochKeys, IReadOnlyList<string> Resumed)
{
    /// <summary>What each <see cref="RetentionSweeper.DerivedCopies"/> removed, one line each (counts only).</summary>
    public IReadOnlyList<string> Copies { get; init; } = [];
}

/// <summary>Deletes expired detection partitions, then wrapped keys no live partition needs (R7.3, R8.4).</summary>
/// <remarks>
/// R7.3: detection information is deleted promptly once its retention ends, physically. Each expired partition is
/// closed, its directory renamed to <c>.deleting-yyyy-MM</c>, emptied and checked empty, the deletion recorded, and
/// only then the empty directory removed (it is the tombstone that lets an interrupted sweep record the deletion
/// later); FASTER's own truncation is never relied on (DESIGN §5). Then the wrapped keys of epochs no remaining partition references are deleted
/// (<see cref="SweepPlanner"/>), and the copies of header data outside the store (<see cref="DerivedCopies"/>) are
/// purged. Every deletion is written to the operation history (R6.4). Deciding reads each partition's metadata
/// (<c>meta.bin</c>), not its records, so the cost of a sweep does not grow with the number of records stored.
/// <para>Never early: the sweep decides with the earlier of the caller's instant and the sweeper's clock, so a caller
/// cannot make it delete a partition whose expiry the clock has not reached. A dry run may look at any instant.</para>
/// <para>Idempotent and safe if interrupted: a second run finds nothing left to do, and a run after an interruption
/// first finishes any <c>.deleting-</c> directory it finds.</para>
/// <para>Edge case: partition 2026-12 (holding 2026-11-30T20:00Z) survives a sweep at 2027-03-31T23:59:59+09:00 and
/// is deleted by the first sweep at or after 2027-04-01T00:00+09:00.</para>
/// </remarks>
internal sealed class RetentionSweeper
{
    /// <summary>The actor the sweeper writes into the operation history.</summary>
    public const string Actor = "system:retention-sweeper";

    private readonly DetectionStore _store;
    private readonly IWrappedKeyStore _keys;
    private readonly IOperationHistory _history;
    private readonly TimeProvider _time;

    /// <summary>Creates a sweeper.</summary>
    /// <param name="store">The detection store.</param>
    /// <param name="keys">The wrapped-key store.</param>
    /// <param name="history">Where deletions are recorded.</param>
    /// <param name="time">The clock; a sweep never decides later than it.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public RetentionSweeper(DetectionStore store, IWrappedKeyStore keys, IOperationHistory history, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _keys = keys;
        _history = history;
        _time = time;
    }

    /// <summary>The copies of header data outside the store that go with their partition (R7.3): the mail outbox and
    /// its <c>.eml</c> files. Each is purged after the partitions of a real sweep, and the purge is recorded.</summary>
    /// <value>None by default.</value>
    public IReadOnlyList<IDerivedCopies> DerivedCopies { get; init; } = [];

    /// <summary>Runs one sweep under the store's <see cref="DetectionStore.Schedule"/>.</summary>
    /// <param name="now">The instant to decide for; the clock's when null. For a real run it is capped at the clock.</param>
    /// <param name="dryRun">Report only; delete nothing and record nothing.</param>
    /// <param name="cancellationToken">Cancels between deletions.</param>
    /// <returns>What was (or would be) deleted.</returns>
    /// <exception cref="IOException">A directory could not be removed; the next sweep retries it.</exception>
    public async Task<SweepReport> SweepAsync(DateTimeOffset? now = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var clock = _time.GetUtcNow();
        var at = now is { } requested ? (dryRun ? requested : (requested < clock ? requested : clock)) : clock;
        var resumed = new List<string>();
        if (!dryRun)
        {
            foreach (var (participant, month, path) in _store.PendingDeletions())
            {
                WipeContents(path);
                resumed.Add($"{participant}/{month}");
                await _history.AppendAsync(Actor, "retention.partition.deleted", Subject(participant, month), "finished a deletion an earlier sweep began; directory removed and checked gone", cancellationToken).ConfigureAwait(false);
                Directory.Delete(path);
            }

            foreach (var (participant, epoch) in _keys.FinishPendingDeletions())
            {
                await _history.AppendAsync(Actor, "keys.wrapped.deleted", string.Create(CultureInfo.InvariantCulture, $"keys/{participant}/{epoch}"), "finished a deletion an earlier sweep began", cancellationToken).ConfigureAwait(false);
            }
        }

        var facts = _store.Partitions()
            .Select(p => new PartitionFacts(p.Participant, p.Month, _store.EpochsOf(p.Participant, p.Month)))
            .ToList();
        var keyEpochs = _keys.Participants().ToDictionary(p => p, p => _keys.Epochs(p));
        var schedule = _store.Schedule;
        var plan = SweepPlanner.Plan(facts, keyEpochs, schedule, at);
        if (dryRun)
        {
            return new SweepReport(at, true, plan.Partitions, plan.EpochKeys, resumed);
        }

        foreach (var deletion in plan.Partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var subject = Subject(deletion.Participant, deletion.Month);
            var expiry = deletion.Expiry.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            await _history.AppendAsync(Actor, "retention.partition.deleting", subject, $"expired {expiry}", cancellationToken).ConfigureAwait(false);
            var doomed = _store.Detach(deletion.Participant, deletion.Month);
            if (doomed is not null)
            {
                WipeContents(doomed);
            }

            await _history.AppendAsync(Actor, "retention.partition.deleted", subject, $"expired {expiry}; directory removed and checked gone", cancellationToken).ConfigureAwait(false);
            if (doomed is not null)
            {
                // The empty renamed directory is the tombstone that makes a crash before the entry above resumable.
                Directory.Delete(doomed);
            }
        }

        foreach (var key in plan.EpochKeys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keySubject = string.Create(CultureInfo.InvariantCulture, $"keys/{key.Participant}/{key.Epoch}");
            await _history.AppendAsync(Actor, "keys.wrapped.deleting", keySubject, "no remaining partition references this epoch", cancellationToken).ConfigureAwait(false);
            _keys.Delete(key.Participant, key.Epoch);
            await _history.AppendAsync(Actor, "keys.wrapped.deleted", keySubject, "directory removed and checked gone", cancellationToken).ConfigureAwait(false);
        }

        var copies = new List<string>();
        foreach (var derived in DerivedCopies)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await derived.PurgeAsync(schedule, at, cancellationToken).ConfigureAwait(false) is { } line)
            {
                copies.Add(line);
                await _history.AppendAsync(Actor, "retention.copies.purged", "derived-copies", line, cancellationToken).ConfigureAwait(false);
            }
        }

        await _history.AppendAsync(
            Actor,
            "retention.sweep",
            "detections",
            string.Create(CultureInfo.InvariantCulture, $"at {at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}: {plan.Partitions.Count} partition(s), {plan.EpochKeys.Count} epoch key set(s), {resumed.Count} resumed"),
            cancellationToken).ConfigureAwait(false);
        return new SweepReport(at, false, plan.Partitions, plan.EpochKeys, resumed) { Copies = copies };
    }

    /// <summary>Removes everything inside a directory and checks that nothing is left; the directory itself stays.</summary>
    private static void WipeContents(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            File.Delete(file);
        }

        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            Directory.Delete(sub, recursive: true);
        }

        if (Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new IOException($"'{directory}' is not empty after deletion.");
        }
    }

    private static string Subject(Participants.ParticipantId participant, Time.JstMonth month) => $"detections/{participant}/{month}";
}
