using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Npgsql;
using NpgsqlTypes;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The detection store on PostgreSQL: one declarative partition per (participant, JST acquisition month).</summary>
/// <remarks>
/// R4.7, R7.1, R7.3. Each record is a row with the headers a query filters on (ids, instants, epoch, rule, addresses)
/// and the whole record as MessagePack with its content already sealed: the cluster never sees plaintext content.
/// An append returns once the commit returned, which with synchronous replication means a standby holds it too.
/// A record id is stored once (the primary key includes it; repeats are skipped), and a record whose partition is
/// already past expiry is not stored. Portal reads (<see cref="QueryAsync"/>, <see cref="FindAsync"/>) run under the
/// schema's portal role with row-level security bound to the queried participant.
/// <para>Edge case: a record acquired 2026-11-30T20:00Z goes to partition <c>2026-12</c> (JST).</para>
/// </remarks>
internal sealed class PostgreSqlDetectionStore : IDetectionStore
{
    private readonly PostgreSqlStorage _storage;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly HashSet<(string, int)> _known = [];
    private RetentionSchedule _schedule;

    internal PostgreSqlDetectionStore(PostgreSqlStorage storage, RetentionSchedule schedule, TimeProvider time)
    {
        _storage = storage;
        _schedule = schedule;
        _time = time;
    }

    /// <inheritdoc />
    public RetentionSchedule Schedule
    {
        get => Volatile.Read(ref _schedule);
        set => Volatile.Write(ref _schedule, value ?? throw new ArgumentNullException(nameof(value)));
    }

    internal PostgreSqlStorage Storage => _storage;

    /// <inheritdoc />
    public async Task<int> AppendAsync(IReadOnlyList<DetectionRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var now = _time.GetUtcNow();
        var schedule = Schedule;
        var keep = new List<(DetectionRecord Record, int Month)>(records.Count);
        var partitions = new HashSet<(string, int)>();
        foreach (var record in records)
        {
            var month = JstMonth.Of(record.AcquiredAt);
            if (schedule.IsExpired(record.Participant, month, now))
            {
                continue;
            }

            var number = PostgreSqlStorage.MonthNumber(month);
            keep.Add((record, number));
            partitions.Add((record.Participant.Value, number));
        }

        if (keep.Count == 0)
        {
            return 0;
        }

        await EnsurePartitionsAsync(partitions, cancellationToken).ConfigureAwait(false);
        var n = keep.Count;
        var participant = new string[n];
        var month2 = new int[n];
        var id = new Guid[n];
        var ticks = new long[n];
        var epoch = new long[n];
        var sid = new long[n];
        var src = new IPAddress[n];
        var dst = new IPAddress[n];
        var bytes = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var (record, month) = keep[i];
            participant[i] = record.Participant.Value;
            month2[i] = month;
            id[i] = record.Id.Value;
            ticks[i] = record.Header.ObservedAt.UtcTicks;
            epoch[i] = record.Epoch.Index;
            sid[i] = record.Rule.Sid;
            src[i] = record.Header.Source;
            dst[i] = record.Header.Destination;
            bytes[i] = DetectionCodec.Encode(record);
        }

        var sql = $"""
            INSERT INTO {_storage.Q("detections")} (participant, acq_month, id, observed_ticks, epoch, rule_sid, src, dst, record)
            SELECT * FROM unnest($1::text[], $2::integer[], $3::uuid[], $4::bigint[], $5::bigint[], $6::bigint[], $7::inet[], $8::inet[], $9::bytea[])
            ON CONFLICT DO NOTHING
            """;
        using var command = _storage.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = participant, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = month2, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = ticks, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = epoch, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = sid, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = src, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
        command.Parameters.Add(new NpgsqlParameter { Value = dst, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
        command.Parameters.Add(new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            // "no partition of relation found for row": a partition this process knew was dropped meanwhile.
            lock (_gate)
            {
                _known.Clear();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async Task<bool> AppendAsync(DetectionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return await AppendAsync([record], cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, DetectionQuery.MaxLimit);
        long boundTicks = query.To.UtcTicks;
        var boundId = Guid.Empty;
        if (query.Cursor is { } cursor && (cursor.ObservedAtUtcTicks < boundTicks
            || (cursor.ObservedAtUtcTicks == boundTicks && cursor.Id.Value.CompareTo(boundId) < 0)))
        {
            (boundTicks, boundId) = (cursor.ObservedAtUtcTicks, cursor.Id.Value);
        }

        var results = new List<DetectionRecord>(Math.Min(query.Limit, 1000) + 1);
        if (boundTicks <= query.From.UtcTicks)
        {
            return new DetectionPage(results, null);
        }

        var sql = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""
            SELECT record FROM {_storage.Q("detections")}
            WHERE participant = $1 AND observed_ticks >= $2 AND (observed_ticks, id) < ($3, $4)
            """);
        var parameters = new List<object> { query.Participant.Value, query.From.UtcTicks, boundTicks, boundId };
        if (query.RuleSid is { } ruleSid)
        {
            parameters.Add(ruleSid);
            sql.Append(CultureInfo.InvariantCulture, $" AND rule_sid = ${parameters.Count}");
        }

        if (query.Address is { } address)
        {
            parameters.Add(address);
            sql.Append(CultureInfo.InvariantCulture, $" AND (src = ${parameters.Count} OR dst = ${parameters.Count})");
        }

        parameters.Add(query.Limit + 1);
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY observed_ticks DESC, id DESC LIMIT ${parameters.Count}");
        await ReadAsPortalAsync(query.Participant, sql.ToString(), parameters, results, cancellationToken).ConfigureAwait(false);
        if (results.Count > query.Limit)
        {
            results.RemoveAt(results.Count - 1);
            return new DetectionPage(results, DetectionCursor.After(results[^1]));
        }

        return new DetectionPage(results, null);
    }

    /// <inheritdoc />
    public async Task<DetectionRecord?> FindAsync(ParticipantId participant, DetectionId id, CancellationToken cancellationToken = default)
    {
        var results = new List<DetectionRecord>(1);
        await ReadAsPortalAsync(
            participant,
            $"SELECT record FROM {_storage.Q("detections")} WHERE participant = $1 AND id = $2 LIMIT 1",
            [participant.Value, id.Value],
            results,
            cancellationToken).ConfigureAwait(false);
        return results.Count == 0 ? null : results[0];
    }

    /// <inheritdoc />
    public IReadOnlyList<(ParticipantId Participant, JstMonth Month)> Partitions()
    {
        using var command = _storage.DataSource.CreateCommand(
            $"SELECT participant, acq_month FROM {_storage.Q("detection_partitions")} ORDER BY participant COLLATE \"C\", acq_month");
        using var reader = command.ExecuteReader();
        var result = new List<(ParticipantId, JstMonth)>();
        while (reader.Read())
        {
            result.Add((new ParticipantId(reader.GetString(0)), PostgreSqlStorage.MonthOf(reader.GetInt32(1))));
        }

        return result;
    }

    /// <inheritdoc />
    public PartitionStats? Stats(ParticipantId participant, JstMonth month)
    {
        var table = TableOf(participant, month);
        using var command = _storage.DataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM {_storage.Q(table)}), pg_total_relation_size('{_storage.Q(table)}') FROM {_storage.Q("detection_partitions")} WHERE table_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        try
        {
            using var reader = command.ExecuteReader();
            return reader.Read() ? new PartitionStats(participant, month, reader.GetInt64(0), reader.GetInt64(1)) : null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    /// <summary>Disposing the store leaves its <see cref="PostgreSqlStorage"/> open.</summary>
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public override string ToString() => $"PostgreSqlDetectionStore({_storage.Schema})";

    /// <summary>The partition table's name: a digest of the participant (ids may hold characters a name may not) and the month.</summary>
    internal static string TableOf(ParticipantId participant, JstMonth month)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(participant.Value));
        return string.Create(CultureInfo.InvariantCulture, $"d_{Convert.ToHexStringLower(digest.AsSpan(0, 8))}_{month.Year:D4}{month.Month:D2}");
    }

    /// <summary>The distinct epochs a partition's records reference.</summary>
    internal async Task<IReadOnlySet<long>> EpochsOfAsync(ParticipantId participant, JstMonth month, CancellationToken cancellationToken)
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT DISTINCT epoch FROM {_storage.Q(TableOf(participant, month))}");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var set = new HashSet<long>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            set.Add(reader.GetInt64(0));
        }

        return set;
    }

    internal void Forget(ParticipantId participant, JstMonth month)
    {
        lock (_gate)
        {
            _known.Remove((participant.Value, PostgreSqlStorage.MonthNumber(month)));
        }
    }

    private async Task ReadAsPortalAsync(ParticipantId participant, string sql, IReadOnlyList<object> parameters, List<DetectionRecord> results, CancellationToken cancellationToken)
    {
        using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using (var role = new NpgsqlCommand($"SET LOCAL ROLE {_storage.PortalRole}", connection, tx))
        {
            await role.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (var scope = new NpgsqlCommand("SELECT set_config('socs.participant', $1, true)", connection, tx))
        {
            scope.Parameters.Add(new NpgsqlParameter { Value = participant.Value });
            await scope.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (var command = new NpgsqlCommand(sql, connection, tx))
        {
            foreach (var value in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(DetectionCodec.Decode(reader.GetFieldValue<byte[]>(0)));
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>R7.3: ANALYZE (autovacuum's, once a partition has grown) copies sample values of each column into
    /// <c>pg_statistic</c>, whose dead tuples outlive the partition's drop in that catalog's file; no column that holds
    /// detection information collects statistics, so no sample of a record is ever copied there.</summary>
    private const string NoSamples =
        "ALTER COLUMN id SET STATISTICS 0, ALTER COLUMN observed_ticks SET STATISTICS 0, ALTER COLUMN epoch SET STATISTICS 0, ALTER COLUMN rule_sid SET STATISTICS 0, ALTER COLUMN src SET STATISTICS 0, ALTER COLUMN dst SET STATISTICS 0, ALTER COLUMN record SET STATISTICS 0";

    private async Task EnsurePartitionsAsync(HashSet<(string Participant, int Month)> wanted, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            wanted.ExceptWith(_known);
        }

        if (wanted.Count == 0)
        {
            return;
        }

        using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = _storage.Schema + ".detection_partitions" });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (participant, month) in wanted)
        {
            var table = TableOf(new ParticipantId(participant), PostgreSqlStorage.MonthOf(month));
            var sql = string.Create(CultureInfo.InvariantCulture, $"""
                CREATE TABLE IF NOT EXISTS {_storage.Q(table)} PARTITION OF {_storage.Q("detections")}
                    FOR VALUES FROM ({PostgreSqlStorage.Literal(participant)}, {month}) TO ({PostgreSqlStorage.Literal(participant)}, {month + 1});
                ALTER TABLE {_storage.Q(table)} {NoSamples};
                INSERT INTO {_storage.Q("detection_partitions")} VALUES ({PostgreSqlStorage.Literal(participant)}, {month}, '{table}') ON CONFLICT DO NOTHING;
                """);
            using var command = new NpgsqlCommand(sql, connection, tx);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _known.UnionWith(wanted);
        }
    }
}
