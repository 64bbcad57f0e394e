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
    private TState _state;
    private long _sequence;
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
        using var command = _storage.DataSource.CreateCommand($"SELECT event FROM {_table} ORDER BY seq");
        using var reader = command.ExecuteReader();
        var events = new List<TEvent>();
        while (reader.Read())
        {
            events.Add(_decode(reader.GetFieldValue<byte[]>(0)));
        }

        return events;
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
            long head;
            using (var lockHead = new NpgsqlCommand($"SELECT seq FROM {_storage.Q("event_heads")} WHERE log = $1 FOR UPDATE", connection, tx))
            {
                lockHead.Parameters.Add(new NpgsqlParameter { Value = _log });
                head = await lockHead.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?
                    ?? throw new InvalidOperationException($"The head row of the {_log} log is missing.");
            }

            // Other writers' committed rows up to the locked head come first in the order.
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
            using (var insert = new NpgsqlCommand($"INSERT INTO {_table} (seq, at_ticks, event) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])", connection, tx))
            {
                var sequences = new long[batch.Count];
                var ticks = new long[batch.Count];
                var encoded = new byte[batch.Count][];
                for (var i = 0; i < batch.Count; i++)
                {
                    state = _apply(state, batch[i]);
                    sequences[i] = head + 1 + i;
                    ticks[i] = _at(batch[i]).UtcTicks;
                    encoded[i] = _encode(batch[i]);
                }

                insert.Parameters.Add(new NpgsqlParameter { Value = sequences });
                insert.Parameters.Add(new NpgsqlParameter { Value = ticks });
                insert.Parameters.Add(new NpgsqlParameter { Value = encoded });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

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

    /// <summary>Folds the committed rows after the last one folded, up to <paramref name="until"/>; called under the gate.</summary>
    private void CatchUp(NpgsqlConnection connection, NpgsqlTransaction? tx, long until)
    {
        using var command = new NpgsqlCommand($"SELECT seq, event FROM {_table} WHERE seq > $1 AND seq <= $2 ORDER BY seq", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = _sequence });
        command.Parameters.Add(new NpgsqlParameter { Value = until });
        using var reader = command.ExecuteReader();
        var state = _state;
        var sequence = _sequence;
        while (reader.Read())
        {
            var next = reader.GetInt64(0);
            if (next != sequence + 1)
            {
                throw new InvalidOperationException($"The {_log} log skips from {sequence} to {next}.");
            }

            state = _apply(state, _decode(reader.GetFieldValue<byte[]>(1)));
            sequence = next;
        }

        _state = state;
        _sequence = sequence;
    }
}
