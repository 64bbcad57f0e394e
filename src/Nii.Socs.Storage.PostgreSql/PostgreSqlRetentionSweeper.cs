using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>Drops expired detection partitions on the cluster, whole, and records each drop in the history (R7.3).</summary>
/// <remarks>
/// R7.3, R6.4. The plan is <see cref="SweepPlanner"/>'s, as on one machine. Each expired partition is recorded as
/// being deleted, then dropped (<c>DROP TABLE</c> of the partition and its catalog row in one transaction: its relation
/// files are unlinked on the primary at commit and on every standby when it replays the drop, a node that was down
/// replaying it when it rejoins), then recorded as deleted with the relation files that were removed. With
/// <see cref="Keys"/> set, the epochs no remaining partition references lose their wrapped sets the same way (their
/// partitions dropped). Each drop records its WAL position; after the drops the sweep runs the erasure rounds
/// (<see cref="PostgreSqlStorage.EraseAsync"/>: WAL switch and CHECKPOINT on the primary, every node replayed past it and
/// checkpointed, until no node holds a WAL segment from before the drops) and records
/// <c>retention.partition.erased</c> (or <c>…erase-pending</c> naming the node that was down; the next sweep finishes it).
/// The <see cref="DerivedCopies"/> (the cluster's mail outbox) are purged before those rounds, under the same schedule and instant.
/// <para>Never early: a real sweep decides with the earlier of the caller's instant and the clock.</para>
/// </remarks>
internal sealed class PostgreSqlRetentionSweeper
{
    private readonly PostgreSqlDetectionStore _store;
    private readonly IOperationHistory _history;
    private readonly TimeProvider _time;

    /// <summary>Creates a sweeper.</summary>
    /// <param name="store">The detection store.</param>
    /// <param name="history">Where deletions are recorded.</param>
    /// <param name="time">The clock; a sweep never decides later than it.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public PostgreSqlRetentionSweeper(PostgreSqlDetectionStore store, IOperationHistory history, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _history = history;
        _time = time;
    }

    /// <summary>The epoch-key store whose wrapped sets the sweep deletes once no partition references their epoch (R8.4); null for none.</summary>
    public PostgreSqlKeyStore? Keys { get; init; }

    /// <summary>The epoch schedule of the keys in <see cref="Keys"/>: a wrapped set is kept until the expiry of the JST
    /// month its epoch ends in, so records still in a sensor's spool when the sweep runs can be opened once shipped.</summary>
    public EpochSchedule KeySchedule { get; init; } = EpochSchedule.WeeklyFromMondayJst;

    /// <summary>The copies of header data outside the detections that go with their partition (R7.3): on a host, the
    /// cluster's mail outbox and the host's <c>.eml</c> files. Each is purged after the drops of a real sweep and before
    /// its erasure rounds (so a purge that drops a table, as the cluster outbox's does, is erased by the same sweep), and
    /// each purge is recorded as <c>retention.copies.purged</c>, as on one machine.</summary>
    /// <value>None by default.</value>
    public IReadOnlyList<IDerivedCopies> DerivedCopies { get; init; } = [];

    /// <summary>The erasure rounds of the last real sweep; null before it.</summary>
    public ErasureReport? LastErasure { get; private set; }

    /// <summary>Runs one sweep under the store's schedule.</summary>
    /// <param name="now">The instant to decide for; the clock's when null. For a real run it is capped at the clock.</param>
    /// <param name="dryRun">Report only; drop nothing and record nothing.</param>
    /// <param name="cancellationToken">Cancels between drops.</param>
    /// <returns>What was (or would be) dropped.</returns>
    public async Task<SweepReport> SweepAsync(DateTimeOffset? now = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var clock = _time.GetUtcNow();
        var at = now is { } requested ? (dryRun ? requested : (requested < clock ? requested : clock)) : clock;
        var facts = new List<PartitionFacts>();
        foreach (var (participant, month) in _store.Partitions())
        {
            facts.Add(new PartitionFacts(participant, month, await _store.EpochsOfAsync(participant, month, cancellationToken).ConfigureAwait(false)));
        }

        var keyEpochs = Keys is null
            ? new Dictionary<ParticipantId, IReadOnlyList<long>>()
            : Keys.Participants().ToDictionary(p => p, p => Keys.Epochs(p));
        var schedule = _store.Schedule;
        // Sensors ship their spools later: a wrapped set no partition on the cluster references yet may still be needed by
        // records in flight, so it stays until every record of its epoch would be expired (docs/scale-out.md).
        var plan = SweepPlanner.Plan(facts, keyEpochs, schedule, at, KeySchedule);
        if (dryRun)
        {
            return new SweepReport(at, true, plan.Partitions, plan.EpochKeys, []);
        }

        foreach (var deletion in plan.Partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var subject = $"detections/{deletion.Participant}/{deletion.Month}";
            var expiry = deletion.Expiry.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            await _history.AppendAsync(RetentionSweeper.Actor, "retention.partition.deleting", subject, $"expired {expiry}", cancellationToken).ConfigureAwait(false);
            var files = await DropAsync(deletion.Participant, deletion.Month, cancellationToken).ConfigureAwait(false);
            await _history.AppendAsync(
                RetentionSweeper.Actor,
                "retention.partition.deleted",
                subject,
                $"expired {expiry}; partition {PostgreSqlDetectionStore.TableOf(deletion.Participant, deletion.Month)} dropped, relation files {string.Join(' ', files)} unlinked at commit (standbys at replay)",
                cancellationToken).ConfigureAwait(false);
        }

        foreach (var key in plan.EpochKeys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keySubject = string.Create(CultureInfo.InvariantCulture, $"keys/{key.Participant}/{key.Epoch}");
            await _history.AppendAsync(RetentionSweeper.Actor, "keys.wrapped.deleting", keySubject, "no remaining partition references this epoch", cancellationToken).ConfigureAwait(false);
            Keys!.DropEpoch(key.Participant, key.Epoch);
            await _history.AppendAsync(RetentionSweeper.Actor, "keys.wrapped.deleted", keySubject, "partitions dropped", cancellationToken).ConfigureAwait(false);
        }

        var copies = new List<string>();
        foreach (var derived in DerivedCopies)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await derived.PurgeAsync(schedule, at, cancellationToken).ConfigureAwait(false) is { } line)
            {
                copies.Add(line);
                await _history.AppendAsync(RetentionSweeper.Actor, "retention.copies.purged", "derived-copies", line, cancellationToken).ConfigureAwait(false);
            }
        }

        // Every drop (this sweep's, the outbox's rewrite, and any an earlier sweep left pending) leaves every node's WAL and files.
        LastErasure = await PostgreSqlErasure.RunAsync(_store.Storage, _history, cancellationToken).ConfigureAwait(false);
        await _history.AppendAsync(
            RetentionSweeper.Actor,
            "retention.sweep",
            "detections",
            string.Create(CultureInfo.InvariantCulture, $"at {at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}: {plan.Partitions.Count} partition(s), {plan.EpochKeys.Count} epoch key set(s) dropped on the cluster; {LastErasure}"),
            cancellationToken).ConfigureAwait(false);
        return new SweepReport(at, false, plan.Partitions, plan.EpochKeys, []) { Copies = copies };
    }

    /// <summary>The data-directory-relative paths of a partition's relation files (table, indexes, TOAST); empty when absent.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="month">The month.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The paths, such as <c>base/16384/16999</c>.</returns>
    public async Task<IReadOnlyList<string>> RelationFilesAsync(ParticipantId participant, JstMonth month, CancellationToken cancellationToken = default)
    {
        using var connection = await _store.Storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await RelationFilesAsync(connection, null, participant, month, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> RelationFilesAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, ParticipantId participant, JstMonth month, CancellationToken cancellationToken)
    {
        var table = _store.Storage.Q(PostgreSqlDetectionStore.TableOf(participant, month));
        using var command = new NpgsqlCommand(
            """
            SELECT pg_relation_filepath(c.oid) FROM pg_class c
            WHERE c.oid = to_regclass($1)
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = to_regclass($1))
               OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = to_regclass($1))
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = to_regclass($1)))
            ORDER BY 1
            """,
            connection,
            tx);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var files = new List<string>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(0))
            {
                files.Add(reader.GetString(0));
            }
        }

        return files;
    }

    private async Task<IReadOnlyList<string>> DropAsync(ParticipantId participant, JstMonth month, CancellationToken cancellationToken)
    {
        var storage = _store.Storage;
        var table = PostgreSqlDetectionStore.TableOf(participant, month);
        using var connection = await storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = storage.Schema + ".detection_partitions" });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var files = await RelationFilesAsync(connection, tx, participant, month, cancellationToken).ConfigureAwait(false);
        using (var drop = new NpgsqlCommand(
            $"DROP TABLE IF EXISTS {storage.Q(table)}; DELETE FROM {storage.Q("detection_partitions")} WHERE table_name = '{table}';",
            connection,
            tx))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await PostgreSqlErasure.RecordAsync(connection, tx, storage, $"detections/{participant}/{month}", _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        _store.Forget(participant, month);
        return files;
    }
}
