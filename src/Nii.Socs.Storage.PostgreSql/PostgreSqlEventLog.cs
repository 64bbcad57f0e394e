using System.Globalization;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>An append-only events table whose state is a pure fold of its rows in sequence order: the PostgreSQL
/// counterpart of Core's <c>FoldedEventLog</c> (the consent log, the registry).</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <typeparam name="TState">The folded state.</typeparam>
/// <remarks>
/// Rows are <c>(seq, at_ticks, event)</c>, the event in the same stored encoding as the FASTER log. An append locks
/// the log's row in <c>event_heads</c> (<c>SELECT … FOR UPDATE</c>), first folds every row other writers committed
/// since this instance last looked, then applies the new events to that state (an event the state refuses aborts
/// the transaction, nothing written), inserts them after the head and moves the head, in one transaction. Writers on
/// any connection or node therefore serialise on the head row and every instance folds one order. The state is
/// published only after the commit, so a reader never sees state a failover could take back. Reading
/// <see cref="State"/> first folds rows other writers committed (one query).
/// <para>A log whose rows must leave with their retention (the mail outbox, R7.3) is rewritten by
/// <see cref="RewriteAsync"/>: under the head row's lock the kept events go into a fresh table, numbered on after the
/// head, the old table is dropped (its files unlinked) and the head row's <c>base</c> moves to the old head. The rows
/// of a log are therefore always <c>base + 1 … seq</c>; an instance that folded an earlier base (another host) sees the
/// new base in its next read or append and folds the log again from it. Sequence numbers are never reused and the head
/// only moves forward.</para>
/// </remarks>
internal sealed class PostgreSqlEventLog<TEvent, TState> : IDisposable
    where TState : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PostgreSqlStorage _storage;
    private readonly string _log;
    private readonly string _table;
    private readonly Func<TEvent, byte[]> _encode;
    private readonly Func<ReadOnlyMemory<byte>, TEvent> _decode;
    private readonly Func<TState, TEvent, TState> _apply;
    private readonly Func<TEvent, DateTimeOffset> _at;
    private readonly TState _empty;
    private TState _state;
    private long _sequence;
    private long _base;
    private bool _disposed;

    private PostgreSqlEventLog(
        PostgreSqlStorage storage,
        string log,
        Func<TEvent, byte[]> encode,
        Func<ReadOnlyMemory<byte>, TEvent> decode,
        Func<TState, TEvent, TState> apply,
        Func<TEvent, DateTimeOffset> at,
        TState empty)
    {
        _storage = storage;
        _log = log;
        _table = storage.Q(log + "_events");
        _encode = encode;
        _decode = decode;
        _apply = apply;
        _at = at;
        _empty = empty;
        _state = empty;
    }

    /// <summary>The fold of every committed event, after folding what other writers committed.</summary>
    public TState State
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _gate.Wait();
            try
            {
                using var connection = _storage.DataSource.OpenConnection();
                CatchUp(connection, null, long.MaxValue);
                return _state;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Opens the log <paramref name="log"/> (its table <c>&lt;log&gt;_events</c>) and folds its rows.</summary>
    public static async Task<PostgreSqlEventLog<TEvent, TState>> OpenAsync(
        PostgreSqlStorage storage,
        string log,
        Func<TEvent, byte[]> encode,
        Func<ReadOnlyMemory<byte>, TEvent> decode,
        Func<TState, TEvent, TState> apply,
        Func<TEvent, DateTimeOffset> at,
        TState empty,
        CancellationToken cancellationToken)
    {
        var result = new PostgreSqlEventLog<TEvent, TState>(storage, log, encode, decode, apply, at, empty);
        using var connection = await storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        result.CatchUp(connection, null, long.MaxValue);
        return result;
    }

    /// <summary>Every committed event, in sequence order.</summary>
    public IReadOnlyList<TEvent> Events()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _storage.DataSource.OpenConnection();
        return ReadAll(connection, null).Events;
    }

    /// <summary>Appends events after every committed one and returns the state once they are committed (replicated).</summary>
    public Task<TState> AppendAsync(IEnumerable<TEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var batch = events.ToList();
        return AppendAsync(_ => batch, cancellationToken);
    }

    /// <summary>Appends the events <paramref name="decide"/> yields from the state folded under the head row's lock, so the
    /// decision sees every event other writers committed before it.</summary>
    public async Task<TState> AppendAsync(Func<TState, IReadOnlyList<TEvent>> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decide);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

            using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var (head, _) = await LockHeadAsync(connection, tx, cancellationToken).ConfigureAwait(false);

            // Other writers' committed rows up to the locked head come first in the order (all of them again when the
            // log was rewritten since this instance last looked).
            CatchUp(connection, tx, head);
            if (_sequence != head)
            {
                throw new InvalidOperationException($"The {_log} log has {_sequence} rows below its head {head}: a gap.");
            }

            var batch = decide(_state);
            if (batch.Count == 0)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return _state;
            }

            var state = _state;
            foreach (var e in batch)
            {
                state = _apply(state, e);
            }

            await InsertAsync(connection, tx, _log + "_events", head, batch, cancellationToken).ConfigureAwait(false);
            using (var move = new NpgsqlCommand($"UPDATE {_storage.Q("event_heads")} SET seq = $2 WHERE log = $1", connection, tx))
            {
                move.Parameters.Add(new NpgsqlParameter { Value = _log });
                move.Parameters.Add(new NpgsqlParameter { Value = head + batch.Count });
                await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            _state = state;
            _sequence = head + batch.Count;
            return state;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Rewrites the log: under the head row's lock, <paramref name="transform"/> gets every committed event and
    /// returns the events to keep (null: nothing changes); they are written into a fresh table numbered after the head,
    /// the old table is dropped (its relation files unlinked; standbys unlink them at replay), the head row's base moves
    /// to the old head, and the drop's WAL position is recorded in <c>erasures</c> under <paramref name="erasureSubject"/>
    /// for the erasure rounds (<see cref="PostgreSqlErasure"/>), all in one transaction.</summary>
    /// <param name="transform">The rewrite; it runs under the lock, so appenders on other hosts wait for it.</param>
    /// <param name="erasureSubject">The subject of the erasure, given the old head (such as <c>outbox/120</c>).</param>
    /// <param name="at">When the erasure is recorded.</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    /// <returns>True when the log was rewritten.</returns>
    public async Task<bool> RewriteAsync(Func<IReadOnlyList<TEvent>, IReadOnlyList<TEvent>?> transform, Func<long, string> erasureSubject, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(erasureSubject);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var (head, oldBase) = await LockHeadAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            var (events, _, _) = ReadAll(connection, tx);
            if (events.Count != head - oldBase)
            {
                throw new InvalidOperationException($"The {_log} log has {events.Count} rows between its base {oldBase} and head {head}.");
            }

            var kept = transform(events);
            if (kept is null)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                Publish(events, head, oldBase);
                return false;
            }

            var name = _log + "_events";
            var next = name + "_next";
            using (var create = new NpgsqlCommand(
                $"""
                CREATE TABLE {_storage.Q(next)} (seq bigint PRIMARY KEY, at_ticks bigint NOT NULL, event bytea NOT NULL);
                ALTER TABLE {_storage.Q(next)} ALTER COLUMN at_ticks SET STATISTICS 0, ALTER COLUMN event SET STATISTICS 0;
                """,
                connection,
                tx))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await InsertAsync(connection, tx, next, head, kept, cancellationToken).ConfigureAwait(false);
            using (var swap = new NpgsqlCommand(
                $"""
                DROP TABLE {_table};
                ALTER TABLE {_storage.Q(next)} RENAME TO {name};
                ALTER INDEX {_storage.Q(next + "_pkey")} RENAME TO {name}_pkey;
                """,
                connection,
                tx))
            {
                await swap.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (var move = new NpgsqlCommand($"UPDATE {_storage.Q("event_heads")} SET seq = $2, base = $3 WHERE log = $1", connection, tx))
            {
                move.Parameters.Add(new NpgsqlParameter { Value = _log });
                move.Parameters.Add(new NpgsqlParameter { Value = head + kept.Count });
                move.Parameters.Add(new NpgsqlParameter { Value = head });
                await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await PostgreSqlErasure.RecordAsync(connection, tx, _storage, erasureSubject(head), at, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            Publish(kept, head + kept.Count, head);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _gate.Dispose();
    }

    /// <summary>Locks the log's head row for the transaction; returns its last sequence and its base.</summary>
    private async Task<(long Head, long Base)> LockHeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        using var lockHead = new NpgsqlCommand($"SELECT seq, base FROM {_storage.Q("event_heads")} WHERE log = $1 FOR UPDATE", connection, tx);
        lockHead.Parameters.Add(new NpgsqlParameter { Value = _log });
        using var reader = await lockHead.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"The head row of the {_log} log is missing.");
        }

        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string table, long after, IReadOnlyList<TEvent> batch, CancellationToken cancellationToken)
    {
        using var insert = new NpgsqlCommand($"INSERT INTO {_storage.Q(table)} (seq, at_ticks, event) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])", connection, tx);
        var sequences = new long[batch.Count];
        var ticks = new long[batch.Count];
        var encoded = new byte[batch.Count][];
        for (var i = 0; i < batch.Count; i++)
        {
            sequences[i] = after + 1 + i;
            ticks[i] = _at(batch[i]).UtcTicks;
            encoded[i] = _encode(batch[i]);
        }

        insert.Parameters.Add(new NpgsqlParameter { Value = sequences });
        insert.Parameters.Add(new NpgsqlParameter { Value = ticks });
        insert.Parameters.Add(new NpgsqlParameter { Value = encoded });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes the fold of a whole log (after a rewrite, or a read of all of it under the lock); called under the gate.</summary>
    private void Publish(IReadOnlyList<TEvent> events, long head, long logBase)
    {
        var state = _empty;
        foreach (var e in events)
        {
            state = _apply(state, e);
        }

        _state = state;
        _sequence = head;
        _base = logBase;
    }

    /// <summary>Every event of the log (rows <c>base + 1 … head</c>), read with the head row in one statement.</summary>
    private (List<TEvent> Events, long Head, long Base) ReadAll(NpgsqlConnection connection, NpgsqlTransaction? tx)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (head, logBase, rows) = Read(connection, tx, null, long.MaxValue);
            var events = new List<TEvent>(rows.Count);
            var sequence = logBase;
            foreach (var (seq, bytes) in rows)
            {
                if (seq != sequence + 1)
                {
                    break;
                }

                events.Add(_decode(bytes));
                sequence = seq;
            }

            if (sequence == head)
            {
                return (events, head, logBase);
            }

            ThrowAfterRetries(attempt, sequence, head);
        }
    }

    /// <summary>Folds the committed rows after the last one folded, up to <paramref name="until"/> (all of them again
    /// from the new base when the log was rewritten); called under the gate.</summary>
    private void CatchUp(NpgsqlConnection connection, NpgsqlTransaction? tx, long until)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (head, logBase, rows) = Read(connection, tx, (_base, _sequence), until);
            var rewritten = logBase != _base;
            var state = rewritten ? _empty : _state;
            var sequence = rewritten ? logBase : _sequence;
            foreach (var (seq, bytes) in rows)
            {
                if (seq != sequence + 1)
                {
                    break;
                }

                state = _apply(state, _decode(bytes));
                sequence = seq;
            }

            if (sequence == Math.Min(head, until) || (!rewritten && sequence == _sequence && head <= _sequence))
            {
                _state = state;
                _sequence = sequence;
                _base = logBase;
                return;
            }

            ThrowAfterRetries(attempt, sequence, head);
        }
    }

    /// <summary>A read that does not reach the head row it read with (a statement whose snapshot predates a rewrite it
    /// waited for) is repeated at once, with a new snapshot; a log that still skips rows after that is broken.</summary>
    private void ThrowAfterRetries(int attempt, long sequence, long head)
    {
        if (attempt >= 3)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The {_log} log's rows stop at {sequence} below its head {head}: a gap."));
        }
    }

    /// <summary>The head row and the rows after <paramref name="after"/> (its base and last sequence; the whole log when
    /// null or when the base differs) up to <paramref name="until"/>, in one statement, so both come from one snapshot.</summary>
    private (long Head, long Base, List<(long Seq, byte[] Event)> Rows) Read(NpgsqlConnection connection, NpgsqlTransaction? tx, (long Base, long Sequence)? after, long until)
    {
        using var command = new NpgsqlCommand(
            $"""
            SELECT h.seq, h.base, e.seq, e.event FROM {_storage.Q("event_heads")} h
            LEFT JOIN {_table} e ON e.seq > (CASE WHEN h.base = $2 THEN $3 ELSE h.base END) AND e.seq <= LEAST(h.seq, $4)
            WHERE h.log = $1
            ORDER BY e.seq
            """,
            connection,
            tx);
        command.Parameters.Add(new NpgsqlParameter { Value = _log });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.Base ?? -1L });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.Sequence ?? 0L });
        command.Parameters.Add(new NpgsqlParameter { Value = until });
        using var reader = command.ExecuteReader();
        long head = -1;
        long logBase = 0;
        var rows = new List<(long, byte[])>();
        while (reader.Read())
        {
            head = reader.GetInt64(0);
            logBase = reader.GetInt64(1);
            if (!reader.IsDBNull(2))
            {
                rows.Add((reader.GetInt64(2), reader.GetFieldValue<byte[]>(3)));
            }
        }

        if (head < 0)
        {
            throw new InvalidOperationException($"The head row of the {_log} log is missing.");
        }

        return (head, logBase, rows);
    }
}
