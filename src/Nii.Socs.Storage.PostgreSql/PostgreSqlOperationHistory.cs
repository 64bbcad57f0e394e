using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The operation history on PostgreSQL: an append-only table whose hash chain any node extends under a row lock.</summary>
/// <remarks>
/// R6.4. An append locks the single head row (<c>SELECT … FOR UPDATE</c>), links the entry to the head's hash with
/// <see cref="OperationEntry.Create"/> (the same canonical form and SHA-256 as the FASTER history), inserts it and
/// moves the head, in one transaction: two writers on any nodes serialise on the head and never fork the chain.
/// A trigger refuses UPDATE, DELETE and TRUNCATE on the table, for the owner role too. A superuser can still disable
/// a trigger, so tamper evidence rests on the chain (<see cref="FindFirstBrokenLinkAsync"/>).
/// </remarks>
internal sealed class PostgreSqlOperationHistory : IOperationHistoryStore
{
    private readonly PostgreSqlStorage _storage;
    private readonly TimeProvider _time;

    internal PostgreSqlOperationHistory(PostgreSqlStorage storage, TimeProvider time)
    {
        _storage = storage;
        _time = time;
    }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            using var command = _storage.DataSource.CreateCommand($"SELECT seq FROM {_storage.Q("history_head")}");
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <inheritdoc />
    public async Task<OperationEntry> AppendAsync(string actor, string action, string subject, string details, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(details);
        using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long sequence;
        byte[] previous;
        using (var head = new NpgsqlCommand($"SELECT seq, hash FROM {_storage.Q("history_head")} WHERE singleton FOR UPDATE", connection, tx))
        using (var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The history's head row is missing.");
            }

            sequence = reader.GetInt64(0);
            previous = reader.GetFieldValue<byte[]>(1);
        }

        var entry = OperationEntry.Create(sequence + 1, _time.GetUtcNow(), actor, action, subject, details, previous);
        var hash = entry.Hash.ToArray();
        using (var insert = new NpgsqlCommand(
            $"""
            INSERT INTO {_storage.Q("history")} VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
            """,
            connection,
            tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Sequence });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.At.UtcTicks });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Actor });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Action });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Subject });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Details });
            insert.Parameters.Add(new NpgsqlParameter { Value = previous });
            insert.Parameters.Add(new NpgsqlParameter { Value = hash });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (var move = new NpgsqlCommand($"UPDATE {_storage.Q("history_head")} SET seq = $1, hash = $2 WHERE singleton", connection, tx))
        {
            move.Parameters.Add(new NpgsqlParameter { Value = entry.Sequence });
            move.Parameters.Add(new NpgsqlParameter { Value = hash });
            await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return entry;
    }

    /// <inheritdoc />
    public IReadOnlyList<OperationEntry> Read(long first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var command = _storage.DataSource.CreateCommand(
            $"SELECT seq, at_ticks, actor, action, subject, details, previous_hash, hash FROM {_storage.Q("history")} WHERE seq >= $1 ORDER BY seq LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)count });
        using var reader = command.ExecuteReader();
        var result = new List<OperationEntry>();
        while (reader.Read())
        {
            result.Add(new OperationEntry
            {
                Sequence = reader.GetInt64(0),
                At = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
                Actor = reader.GetString(2),
                Action = reader.GetString(3),
                Subject = reader.GetString(4),
                Details = reader.GetString(5),
                PreviousHash = reader.GetFieldValue<byte[]>(6),
                Hash = reader.GetFieldValue<byte[]>(7),
            });
        }

        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<OperationEntry> Entries() => Read(1, int.MaxValue);

    /// <summary>Walks the chain and returns the first entry that does not follow from its predecessor.</summary>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The sequence number of the first broken entry (a wrong hash, a wrong link or a gap); null when intact.</returns>
    public async Task<long?> FindFirstBrokenLinkAsync(CancellationToken cancellationToken = default)
    {
        using var command = _storage.DataSource.CreateCommand(
            $"SELECT seq, at_ticks, actor, action, subject, details, previous_hash, hash FROM {_storage.Q("history")} ORDER BY seq");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> previous = OperationEntry.GenesisHash;
        long expected = 1;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var sequence = reader.GetInt64(0);
            var linked = reader.GetFieldValue<byte[]>(6);
            var recomputed = OperationEntry.Create(sequence, new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), previous);
            if (sequence != expected || !linked.AsSpan().SequenceEqual(previous.Span) || !recomputed.Hash.Span.SequenceEqual(reader.GetFieldValue<byte[]>(7)))
            {
                return expected;
            }

            previous = recomputed.Hash;
            expected++;
        }

        return null;
    }
}
