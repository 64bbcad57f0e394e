using System.Globalization;
using System.Runtime.CompilerServices;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The mail outbox on PostgreSQL: an <c>outbox_events</c> table folded into a <see cref="NotificationState"/>.</summary>
/// <remarks>
/// R4.5, R4.6. Events are stored in the same encoding as the FASTER <see cref="MailOutbox"/> and folded the same way
/// (<see cref="NotificationState.Apply"/>), with the same append protocol as the consent log and the registry: an
/// append locks the log's head row, folds what other writers (other hosts) committed, applies the new events and
/// inserts them after the head, in one transaction, and returns once the commit is acknowledged (on the cluster: by a
/// synchronous standby). So a mail queued by one host and sent by another is recorded once, in one order.
/// <para>R7.3. Unlike the consent and registry events the table carries no append-only trigger: the outbox holds copies
/// of header data that go with their partitions. <see cref="PurgeAsync"/> takes them out physically, as the FASTER
/// outbox's purge does and with the same decision (<see cref="OutboxRetention.Reduce"/>): under the head row's lock the
/// kept events are written into a fresh table and the old one is dropped, so the expired rows leave every data file at
/// commit (on standbys at replay); the drop's WAL position is recorded in <c>erasures</c>, and the next erasure run (the
/// cluster's retention sweep runs one after purging) removes the WAL segments that still hold them on every node. The
/// table collects no column statistics for its events (<c>SET STATISTICS 0</c>), so ANALYZE never copies a sample of
/// them into <c>pg_statistic</c>, where a dropped table's rows would stay behind as dead tuples.</para>
/// </remarks>
internal sealed class PostgreSqlMailOutbox : IMailOutbox
{
    private readonly PostgreSqlEventLog<OutboxEvent, NotificationState> _log;

    private PostgreSqlMailOutbox(PostgreSqlEventLog<OutboxEvent, NotificationState> log) => _log = log;

    /// <summary>The state folded from every committed event; reading it first folds what other writers committed (one query).</summary>
    /// <exception cref="NpgsqlException">The cluster could not be reached (unlike the FASTER outbox, reading the state does I/O).</exception>
    public NotificationState State => _log.State;

    /// <summary>Opens the outbox on a storage's schema (creating its table when absent) and folds it.</summary>
    /// <param name="storage">The storage.</param>
    /// <param name="cancellationToken">Cancels the set-up and the read.</param>
    /// <returns>The outbox; disposing it leaves the storage open.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="storage"/> is null.</exception>
    /// <exception cref="NpgsqlException">The cluster could not be reached.</exception>
    public static async Task<PostgreSqlMailOutbox> OpenAsync(PostgreSqlStorage storage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using (var connection = await storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            using var probe = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
            if (!(bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                using (var create = new NpgsqlCommand(
                    $"""
                    SELECT pg_advisory_xact_lock(hashtext('nii-socs-schema'));
                    CREATE TABLE IF NOT EXISTS {storage.Q("outbox_events")} (
                        seq bigint PRIMARY KEY,
                        at_ticks bigint NOT NULL,
                        event bytea NOT NULL
                    );
                    ALTER TABLE {storage.Q("outbox_events")} ALTER COLUMN at_ticks SET STATISTICS 0, ALTER COLUMN event SET STATISTICS 0;
                    INSERT INTO {storage.Q("event_heads")} VALUES ('outbox', 0) ON CONFLICT DO NOTHING;
                    """,
                    connection,
                    tx))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new(await PostgreSqlEventLog<OutboxEvent, NotificationState>.OpenAsync(
            storage, "outbox", OutboxEventCodec.Encode, OutboxEventCodec.Decode, (state, e) => state.Apply(e), e => e.At, NotificationState.Empty, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every committed event, in order.</summary>
    /// <returns>The events.</returns>
    public IReadOnlyList<OutboxEvent> Events() => _log.Events();

    /// <summary>Appends events after every committed one and returns the state once the commit is acknowledged.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>The state after the events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    public Task<NotificationState> AppendAsync(IEnumerable<OutboxEvent> events, CancellationToken cancellationToken = default) =>
        _log.AppendAsync(events, cancellationToken);

    /// <summary>Removes the rows of ended retention from the whole outbox, physically (R7.3), and returns what changed.</summary>
    /// <param name="expired">Whether a row's retention has ended.</param>
    /// <param name="at">When withdrawals of unsent mails left without rows are recorded, and the erasure.</param>
    /// <param name="beforeRewrite">Called with the reduction before the outbox is rewritten, e.g. to delete the stored
    /// copies of the affected mails first (a failure before the commit repeats the same reduction on the next run).</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    /// <returns>The reduction; <see cref="OutboxReduction.Changed"/> is false when nothing had ended.</returns>
    /// <remarks>The expired rows leave the data files at the commit; their WAL copies stay pending in <c>erasures</c>
    /// (subject <c>outbox/&lt;old head&gt;</c>) until an erasure run (<see cref="PostgreSqlStorage.EraseAsync"/>, the
    /// cluster's retention sweep) ends them on every node. Other instances (hosts) fold the rewritten outbox again in
    /// their next read or append.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="expired"/> is null.</exception>
    /// <exception cref="NpgsqlException">The cluster could not be reached; nothing changed.</exception>
    public async Task<OutboxReduction> PurgeAsync(Func<NotificationRow, bool> expired, DateTimeOffset at, Action<OutboxReduction>? beforeRewrite = null, CancellationToken cancellationToken = default)
    {
        var reduction = new StrongBox<OutboxReduction?>();
        var step = OutboxRetention.PurgeStep(expired, at, beforeRewrite, reduction);
        await _log.RewriteAsync(step, head => string.Create(CultureInfo.InvariantCulture, $"outbox/{head}"), at, cancellationToken).ConfigureAwait(false);
        return reduction.Value!;
    }

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
