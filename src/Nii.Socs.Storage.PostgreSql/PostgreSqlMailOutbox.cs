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
/// <para>Unlike the consent and registry events the table carries no append-only trigger: the outbox holds copies of
/// header data that must go with their partitions (R7.3). The physical purge of its rows on the cluster is not
/// implemented yet (docs/scale-out.md, "Status"); the FASTER outbox's purge is.</para>
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

    /// <inheritdoc />
    public void Dispose() => _log.Dispose();
}
