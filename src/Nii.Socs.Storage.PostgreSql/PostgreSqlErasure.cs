using System.Diagnostics;
using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>What an erasure run (<see cref="PostgreSqlStorage.EraseAsync"/>) achieved: which dropped data no longer has
/// a byte in any WAL segment or data file of any node, and which is still pending.</summary>
/// <remarks>R7.3, R8.4. A node that could not be reached keeps its subjects pending; the next run finishes them once it
/// is back (it replays the drop when it rejoins, and the run removes the WAL segments it still holds).</remarks>
internal sealed class ErasureReport
{
    internal ErasureReport(IReadOnlyList<string> erased, IReadOnlyList<string> pending, int rounds, long replayedPast, IReadOnlyList<string> nodes, IReadOnlyList<string> unreachable)
    {
        Erased = erased;
        Pending = pending;
        Rounds = rounds;
        ReplayedPast = replayedPast;
        Nodes = nodes;
        Unreachable = unreachable;
    }

    /// <summary>The subjects (such as <c>detections/u-tokyo/2026-11</c>) now gone from every node's files and WAL.</summary>
    public IReadOnlyList<string> Erased { get; }

    /// <summary>The subjects still pending (a node unreachable or still holding a segment after the last round).</summary>
    public IReadOnlyList<string> Pending { get; }

    /// <summary>The WAL switch + checkpoint rounds run.</summary>
    public int Rounds { get; }

    /// <summary>The WAL position (bytes from 0/0) every reachable node replayed past in the last round; 0 when no round ran.</summary>
    public long ReplayedPast { get; }

    /// <summary>Every node checked, as <c>host:port</c>.</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>The nodes that could not be reached.</summary>
    public IReadOnlyList<string> Unreachable { get; }

    /// <summary>The WAL position <see cref="ReplayedPast"/> in PostgreSQL's <c>X/Y</c> form.</summary>
    public string ReplayedPastLsn => Lsn(ReplayedPast);

    /// <summary>The report for an operator and the history.</summary>
    /// <returns>Such as <c>erased 2 (pending 0) after 5 WAL switch + checkpoint rounds; every node (127.0.0.1:5433 …) replayed past 0/5000060 and holds no WAL segment up to the drops</c>; <c>nothing to erase</c> when no drop was pending.</returns>
    public override string ToString()
    {
        if (Rounds == 0)
        {
            return "nothing to erase";
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"erased {Erased.Count} (pending {Pending.Count}) after {Rounds} WAL switch + checkpoint rounds; ");
        return Unreachable.Count == 0
            ? text + $"every node ({string.Join(' ', Nodes)}) replayed past {ReplayedPastLsn} and holds no WAL segment up to the drops"
            : text + $"unreachable: {string.Join(' ', Unreachable)} (finished when it is back)";
    }

    internal static string Lsn(long position) => string.Create(CultureInfo.InvariantCulture, $"{(ulong)position >> 32:X}/{(ulong)position & 0xFFFFFFFF:X}");
}

/// <summary>The erasure rounds after a drop: make every copy of the dropped bytes leave every node of the cluster.</summary>
/// <remarks>
/// R7.3, R8.4. A drop (a detection partition, an epoch's key partition, the mail outbox's table replaced by its purge) records the WAL insert position inside its own
/// transaction in <c>erasures</c>; every byte of the dropped rows was written to WAL before it. A run then repeats, at
/// most <see cref="MaxRounds"/> times: on the primary a small write, <c>pg_switch_wal()</c> and <c>CHECKPOINT</c>; on each
/// node (every host of the connection string, connected to directly) a wait until it replayed past the primary's position,
/// then <c>CHECKPOINT</c> (a restartpoint on a standby, which removes the segments it no longer needs and the relation
/// files the drop unlinked), then <c>pg_ls_waldir()</c>: the node is done when its oldest segment (<c>.partial</c> ones
/// included) begins after the segment holding the recorded position. When every node is done the rows are removed. The
/// service role needs <c>pg_checkpoint</c>, <c>pg_monitor</c> and EXECUTE on <c>pg_switch_wal()</c> (scripts/cluster.sh grants them).
/// </remarks>
internal static class PostgreSqlErasure
{
    /// <summary>wal_keep_size is 4 segments of 16MB on the cluster: 5 rounds move the window past a segment; 3 more are slack.</summary>
    public const int MaxRounds = 8;

    /// <summary>Records, inside the dropping transaction, that <paramref name="subject"/>'s bytes must leave every node.</summary>
    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PostgreSqlStorage storage, string subject, DateTimeOffset at, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(
            $"INSERT INTO {storage.Q("erasures")} (before_lsn, subject, at_ticks) VALUES ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint, $1, $2)",
            connection,
            tx);
        command.Parameters.Add(new NpgsqlParameter { Value = subject });
        command.Parameters.Add(new NpgsqlParameter { Value = at.UtcTicks });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The history actor of key-store drops and erasures.</summary>
    public const string KeyServiceActor = "system:key-service";

    public static async Task<ErasureReport> RunAsync(PostgreSqlStorage storage, IOperationHistory? history, CancellationToken cancellationToken)
    {
        var report = await RoundsAsync(storage, cancellationToken).ConfigureAwait(false);
        if (history is not null)
        {
            // Each subject's end is recorded by whichever run finishes it (a sweep, a key destruction, an operator's run).
            foreach (var (subject, action) in report.Erased.Select(s => (s, "erased")).Concat(report.Pending.Select(s => (s, "erase-pending"))))
            {
                var key = subject.StartsWith("keys/", StringComparison.Ordinal);
                var prefix = key ? "keys.epoch." : subject.StartsWith("outbox/", StringComparison.Ordinal) ? "retention.copies." : "retention.partition.";
                await history.AppendAsync(
                    key ? KeyServiceActor : RetentionSweeper.Actor,
                    prefix + action,
                    subject,
                    report.ToString(),
                    cancellationToken).ConfigureAwait(false);
            }
        }

        return report;
    }

    private static async Task<ErasureReport> RoundsAsync(PostgreSqlStorage storage, CancellationToken cancellationToken)
    {
        // One run at a time per schema (a sweep and a key destruction on two nodes): the second waits, then finds
        // what the first erased gone from the table and does not report it twice. A pooled session keeps a
        // session lock until it is reused, so it is released explicitly.
        using var session = await storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using (var serialise = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext($1))", session))
        {
            serialise.Parameters.Add(new NpgsqlParameter { Value = storage.Schema + ".erasures" });
            await serialise.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await RoundsLockedAsync(storage, session, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext($1))", session);
                release.Parameters.Add(new NpgsqlParameter { Value = storage.Schema + ".erasures" });
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The session is gone (a failover): its locks went with it.
            }
        }
    }

    private static async Task<ErasureReport> RoundsLockedAsync(PostgreSqlStorage storage, NpgsqlConnection session, CancellationToken cancellationToken)
    {
        var pending = new List<(long Lsn, string Subject)>();
        using (var command = new NpgsqlCommand($"SELECT before_lsn, subject FROM {storage.Q("erasures")} ORDER BY before_lsn, subject", session))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                pending.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        var nodes = Nodes(storage.ConnectionString);
        var names = nodes.Select(n => n.Name).ToList();
        if (pending.Count == 0)
        {
            return new ErasureReport([], [], 0, 0, names, []);
        }

        var target = pending.Max(p => p.Lsn);
        var rounds = 0;
        long position = 0;
        var unreachable = new List<string>();
        var done = false;
        while (!done && rounds < MaxRounds)
        {
            rounds++;
            long segmentSize;
            using (var primary = await storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            {
                using (var round = new NpgsqlCommand($"UPDATE {storage.Q("erasure_rounds")} SET n = n + 1; SELECT pg_switch_wal(); CHECKPOINT;", primary))
                {
                    await round.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                using var where = new NpgsqlCommand("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint, (SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size')", primary);
                using var reader = await where.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                position = reader.GetInt64(0);
                segmentSize = reader.GetInt64(1);
            }

            unreachable.Clear();
            var allDone = true;
            foreach (var node in nodes)
            {
                var state = await CheckNodeAsync(node.ConnectionString, position, target / segmentSize, segmentSize, cancellationToken).ConfigureAwait(false);
                if (state is null)
                {
                    unreachable.Add(node.Name);
                }
                else if (!state.Value)
                {
                    allDone = false;
                }
            }

            // No round can finish while a node is down (its return needs rounds of its own, and the primary may keep
            // segments for it): stop, pending, and let the run after its return finish.
            done = allDone || unreachable.Count > 0;
        }

        if (!done || unreachable.Count > 0)
        {
            return new ErasureReport([], pending.Select(p => p.Subject).ToList(), rounds, position, names, [.. unreachable]);
        }

        using (var clear = storage.DataSource.CreateCommand($"DELETE FROM {storage.Q("erasures")} WHERE before_lsn <= $1"))
        {
            clear.Parameters.Add(new NpgsqlParameter { Value = target });
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new ErasureReport(pending.Select(p => p.Subject).ToList(), [], rounds, position, names, []);
    }

    /// <summary>Waits for a node to replay past <paramref name="position"/>, checkpoints it and checks its oldest WAL segment.</summary>
    /// <returns>True when done; false when it still holds a segment at or before <paramref name="segment"/> (or lags); null when unreachable.</returns>
    private static async Task<bool?> CheckNodeAsync(string connectionString, long position, long segment, long segmentSize, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            bool standby;
            using (var probe = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
            {
                standby = (bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }

            if (standby)
            {
                var watch = Stopwatch.StartNew();
                while (true)
                {
                    using var replay = new NpgsqlCommand("SELECT COALESCE((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)", connection);
                    if ((long)(await replay.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! >= position)
                    {
                        break;
                    }

                    if (watch.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        return false;
                    }

                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }

                using var restartpoint = new NpgsqlCommand("CHECKPOINT", connection);
                await restartpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // Segments of every timeline count (a rejoined node keeps its old timeline's until a restartpoint removes them).
            using var list = new NpgsqlCommand("SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}(\\.partial)?$'", connection);
            using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var oldest = long.MaxValue;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                oldest = Math.Min(oldest, SegmentOf(reader.GetString(0), segmentSize));
            }

            return oldest > segment;
        }
        catch (NpgsqlException)
        {
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The segment number of a WAL file name: timeline, then the log and segment parts, 8 hex digits each
    /// (PostgreSQL's XLogFromFileName: a log holds 2^32 bytes of segments).</summary>
    private static long SegmentOf(string name, long segmentSize) =>
        (long.Parse(name.AsSpan(8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture) * (0x1_0000_0000L / segmentSize))
        + long.Parse(name.AsSpan(16, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>Every host of a multi-host connection string, each as its own connection string (no pooling, any role).</summary>
    internal static List<(string Name, string ConnectionString)> Nodes(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var result = new List<(string, string)>();
        foreach (var entry in (builder.Host ?? "localhost").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = entry;
            var port = builder.Port;
            var colon = entry.LastIndexOf(':');
            var bracket = entry.LastIndexOf(']');
            if (colon > 0 && colon > bracket && (bracket >= 0 || entry.IndexOf(':', StringComparison.Ordinal) == colon))
            {
                host = entry[..colon];
                port = int.Parse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            }

            var node = new NpgsqlConnectionStringBuilder(connectionString)
            {
                Host = host.Trim('[', ']'),
                Port = port,
                TargetSessionAttributes = "any",
                Pooling = false,
                Timeout = 3,
            };
            result.Add((string.Create(CultureInfo.InvariantCulture, $"{host}:{port}"), node.ConnectionString));
        }

        return result;
    }
}
