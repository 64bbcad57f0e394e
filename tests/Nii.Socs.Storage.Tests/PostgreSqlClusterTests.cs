using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Storage.PostgreSql;
using Npgsql;
using Xunit.Abstractions;
using static Nii.Socs.Storage.Tests.TestKit;

namespace Nii.Socs.Storage.Tests;

/// <summary>The regulation's invariants on the 3-node cluster: append-only history, tenant isolation in the database,
/// partitions dropped whole on every node, and no acknowledged record lost when the primary's node is killed.</summary>
[Collection(ClusterTests.Name)]
public sealed class PostgreSqlClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private readonly string _schema = ClusterFixture.NewSchema();
    private PostgreSqlStorage _storage = null!;

    public async Task InitializeAsync()
    {
        Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the cluster is not healthy before the test");
        _storage = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        await cluster.DropSchemaAsync(_schema);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task The_history_refuses_update_delete_and_truncate_even_for_the_owning_service_role()
    {
        var history = _storage.History(new FakeTimeProvider(T0));
        await history.AppendAsync("org:yamada", "consent.request.filed", "request/1", "");
        await history.AppendAsync("org:yamada", "consent.request.approved", "request/1", "");
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        foreach (var sql in new[]
        {
            $"UPDATE {_schema}.history SET details = 'rewritten' WHERE seq = 1",
            $"DELETE FROM {_schema}.history WHERE seq = 2",
            $"TRUNCATE {_schema}.history",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(2, history.Entries().Count);
        Assert.Null(await history.FindFirstBrokenLinkAsync());
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task Writers_on_two_connections_extend_one_chain_and_a_tampered_entry_is_found()
    {
        await using var other = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        var a = _storage.History(new FakeTimeProvider(T0));
        var b = other.History(new FakeTimeProvider(T0.AddSeconds(1)));
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).AppendAsync("system:sensor", "detections.shipped", $"batch/{i}", "")));
        Assert.Equal(40, a.Count);
        Assert.Equal(40, b.Count);
        Assert.Null(await a.FindFirstBrokenLinkAsync());

        // A superuser can disable the trigger; the chain still shows the rewrite.
        var leader = await cluster.LeaderAsync();
        await using (var connection = new NpgsqlConnection(cluster.SuperuserConnection(leader)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"ALTER TABLE {_schema}.history DISABLE TRIGGER history_append_only; UPDATE {_schema}.history SET details = 'rewritten' WHERE seq = 17; ALTER TABLE {_schema}.history ENABLE TRIGGER history_append_only;",
                connection);
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(17, await a.FindFirstBrokenLinkAsync());
    }

    [Fact]
    [Trait("Requirement", "R4.7")]
    public async Task Portal_reads_are_bound_to_one_participant_by_row_level_security()
    {
        var store = _storage.Detections(RetentionSchedule.Default, new FakeTimeProvider(T0.AddDays(1)));
        await store.AppendAsync([Record(UTokyo, T0), Record(UTokyo, T0.AddMinutes(1)), Record(Kyoto, T0)]);
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        async Task<long> CountAs(string? participant)
        {
            await using var tx = await connection.BeginTransactionAsync();
            await using (var role = new NpgsqlCommand($"SET LOCAL ROLE {_storage.PortalRole}", connection, tx))
            {
                await role.ExecuteNonQueryAsync();
            }

            if (participant is not null)
            {
                await using var scope = new NpgsqlCommand("SELECT set_config('socs.participant', $1, true)", connection, tx);
                scope.Parameters.Add(new NpgsqlParameter { Value = participant });
                await scope.ExecuteNonQueryAsync();
            }

            // No WHERE clause: only the policy filters.
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {_schema}.detections", connection, tx);
            var n = (long)(await count.ExecuteScalarAsync())!;
            await tx.RollbackAsync();
            return n;
        }

        Assert.Equal(2, await CountAs("u-tokyo"));
        Assert.Equal(1, await CountAs("kyoto-u"));
        Assert.Equal(0, await CountAs(null));
        Assert.Equal(0, await CountAs("u-tokyo' OR '1'='1"));

        // The portal role may not write, nor read a partition directly around the policy.
        await using var tx2 = await connection.BeginTransactionAsync();
        await using var set = new NpgsqlCommand($"SET LOCAL ROLE {_storage.PortalRole}", connection, tx2);
        await set.ExecuteNonQueryAsync();
        await using var direct = new NpgsqlCommand($"SELECT count(*) FROM {_schema}.{PostgreSqlDetectionStore.TableOf(Kyoto, JstMonth.Of(T0))}", connection, tx2);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => direct.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task An_expired_partition_is_dropped_whole_its_files_are_gone_on_every_node_and_the_drop_is_recorded()
    {
        var clock = new FakeTimeProvider(T0.AddDays(1));
        var store = _storage.Detections(RetentionSchedule.Default, clock);
        var history = _storage.History(clock);
        var marker = "SEALED-MARKER-"u8.ToArray();
        await store.AppendAsync(Enumerable.Range(0, 200).Select(i => Record(UTokyo, T0.AddMinutes(i), content: [.. marker, (byte)i])).ToList());
        var kyoto = Record(Kyoto, T0);
        await store.AppendAsync(kyoto);
        var sweeper = new PostgreSqlRetentionSweeper(store, history, clock);
        var month = JstMonth.Of(T0);
        var files = await sweeper.RelationFilesAsync(UTokyo, month);
        Assert.True(files.Count >= 2, "a table and its primary-key index");
        await AssertEventuallyAsync(() => AllNodes(files).All(File.Exists), "the partition's files exist on every node");

        Assert.Empty((await sweeper.SweepAsync()).Partitions);
        clock.SetUtcNow(RetentionSchedule.Default.ExpiryOf(UTokyo, month));
        var report = await sweeper.SweepAsync();
        Assert.Equal([(Kyoto, month), (UTokyo, month)], report.Partitions.Select(p => (p.Participant, p.Month)));
        Assert.Empty(store.Partitions());
        Assert.Null(await store.FindAsync(Kyoto, kyoto.Id));

        // The sweep itself ran the erasure rounds (WAL switch, every node replayed past it and checkpointed): the files
        // are gone on every node when it returns (standbys unlink at replay, the primary at its checkpoint).
        Assert.NotNull(sweeper.LastErasure);
        Assert.Equal(["detections/kyoto-u/2026-11", "detections/u-tokyo/2026-11"], sweeper.LastErasure.Erased.Order(StringComparer.Ordinal));
        Assert.Empty(sweeper.LastErasure.Unreachable);
        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"127.0.0.1:{cluster.Port(n)}"), sweeper.LastErasure.Nodes);
        Assert.DoesNotContain(AllNodes(files), File.Exists);

        var entries = history.Entries();
        var deleted = entries.Where(e => e.Action == "retention.partition.deleted").ToList();
        Assert.Equal(["detections/kyoto-u/2026-11", "detections/u-tokyo/2026-11"], deleted.Select(e => e.Subject).Order(StringComparer.Ordinal));
        var erased = entries.Where(e => e.Action == "retention.partition.erased").ToList();
        Assert.Equal(["detections/kyoto-u/2026-11", "detections/u-tokyo/2026-11"], erased.Select(e => e.Subject).Order(StringComparer.Ordinal));
        Assert.All(erased, e => Assert.Contains($"every node (127.0.0.1:{cluster.Port(1)} 127.0.0.1:{cluster.Port(2)} 127.0.0.1:{cluster.Port(3)}) replayed past {sweeper.LastErasure.ReplayedPastLsn}", e.Details, StringComparison.Ordinal));
        Assert.All(files, f => Assert.Contains(f, deleted.Single(e => e.Subject == "detections/u-tokyo/2026-11").Details, StringComparison.Ordinal));
        Assert.Equal("retention.sweep", entries[^1].Action);
        Assert.Empty((await sweeper.SweepAsync()).Partitions);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task After_a_drop_WAL_switches_and_checkpoints_leave_no_byte_of_the_partition_in_any_file_of_any_node()
    {
        var clock = new FakeTimeProvider(T0.AddDays(1));
        var store = _storage.Detections(RetentionSchedule.Default, clock);
        var marker = System.Text.Encoding.ASCII.GetBytes("SEALED-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)));
        await store.AppendAsync(Enumerable.Range(0, 100).Select(i => Record(UTokyo, T0.AddMinutes(i), content: [.. marker, (byte)i])).ToList());
        await CheckpointEveryNodeAsync();
        var before = FilesContaining(marker);
        Assert.Contains(before, f => f.Contains($"{Path.DirectorySeparatorChar}base{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.Equal(3, before.Select(f => f.Split(Path.DirectorySeparatorChar).First(p => p.StartsWith("node", StringComparison.Ordinal))).Distinct().Count());

        clock.SetUtcNow(RetentionSchedule.Default.ExpiryOf(UTokyo, JstMonth.Of(T0)));
        var sweeper = new PostgreSqlRetentionSweeper(store, _storage.History(clock), clock);
        var watch = Stopwatch.StartNew();
        await sweeper.SweepAsync();

        // The sweep ran the rounds itself (wal_keep_size is 64MB, 4 segments of 16MB: the segment holding the rows
        // leaves once 4 newer ones exist); nothing is left when it returns.
        var left = FilesContaining(marker);
        output.WriteLine($"marker in {before.Count} files before the drop; in {left.Count} after the sweep ({watch.Elapsed.TotalSeconds:F1} s): {sweeper.LastErasure}");
        Assert.Empty(left);
        Assert.Equal(["detections/u-tokyo/2026-11"], sweeper.LastErasure!.Erased);
        Assert.InRange(sweeper.LastErasure.Rounds, 1, 8);
    }

    [Fact]
    [Trait("Requirement", "R7.3")]
    public async Task R7_3_an_analyzed_partition_leaves_no_sample_of_its_rows_in_pg_statistic_after_its_drop()
    {
        // Autovacuum analyzes a partition once enough rows arrived; ANALYZE copies sample values of every column it
        // collects statistics for into pg_statistic, whose dead tuples outlive the partition's drop in that catalog's file.
        var clock = new FakeTimeProvider(T0.AddDays(1));
        var store = _storage.Detections(RetentionSchedule.Default, clock);
        var marker = System.Text.Encoding.ASCII.GetBytes("SAMPLED-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)));
        await store.AppendAsync(Enumerable.Range(0, 200).Select(i => Record(UTokyo, T0.AddMinutes(i), content: [.. marker, (byte)i])).ToList());
        var partition = _schema + "." + PostgreSqlDetectionStore.TableOf(UTokyo, JstMonth.Of(T0));
        var leader = await cluster.LeaderAsync();
        Assert.NotNull(await cluster.ScalarAsync(leader, $"ANALYZE {partition}; SELECT 1"));
        var sampled = await cluster.ScalarAsync(leader, $"SELECT string_agg(attname, ' ' ORDER BY attname) FROM pg_stats WHERE schemaname = '{_schema}' AND tablename = '{PostgreSqlDetectionStore.TableOf(UTokyo, JstMonth.Of(T0))}'");
        output.WriteLine($"columns with statistics: {sampled}");
        await CheckpointEveryNodeAsync();

        clock.SetUtcNow(RetentionSchedule.Default.ExpiryOf(UTokyo, JstMonth.Of(T0)));
        var sweeper = new PostgreSqlRetentionSweeper(store, _storage.History(clock), clock);
        await sweeper.SweepAsync();
        await CheckpointEveryNodeAsync();
        var left = FilesContaining(marker);
        output.WriteLine($"after the sweep the rows' bytes are in: {string.Join(' ', left)}");
        Assert.Empty(left);
        Assert.Equal("acq_month participant", sampled);
    }

    private async Task CheckpointEveryNodeAsync()
    {
        // On a standby CHECKPOINT is a restartpoint: it removes WAL segments the standby no longer needs.
        for (var n = 1; n <= 3; n++)
        {
            Assert.NotNull(await cluster.ScalarAsync(n, "CHECKPOINT; SELECT 1"));
        }
    }

    private List<string> FilesContaining(byte[] marker) => cluster.FilesContaining(marker).Values.Single();

    [Fact]
    [Trait("Requirement", "R7.1")]
    public async Task Killing_the_primarys_node_loses_no_acknowledged_record_and_writes_resume_within_the_failover_time()
    {
        // The records written across the kill are acquired in December, so the November partition's drop below leaves them.
        var clock = new FakeTimeProvider(T0.AddDays(40));
        var store = _storage.Detections(RetentionSchedule.Default, clock);
        var history = _storage.History(clock);
        await using var readers = await PostgreSqlStorage.OpenAsync(cluster.StandbyConnectionString, _schema);
        var readStore = readers.Detections(RetentionSchedule.Default, clock);

        // A partition to drop while the old primary is down: it must vanish there too when it rejoins.
        await store.AppendAsync(Enumerable.Range(0, 50).Select(i => Record(Kyoto, T0.AddMinutes(i))).ToList());
        var sweeper = new PostgreSqlRetentionSweeper(store, history, new FakeTimeProvider(RetentionSchedule.Default.ExpiryOf(Kyoto, JstMonth.Of(T0))));
        var dropFiles = await sweeper.RelationFilesAsync(Kyoto, JstMonth.Of(T0));
        await AssertEventuallyAsync(() => AllNodes(dropFiles).All(File.Exists), "the partition's files exist on every node");

        var acknowledged = new ConcurrentBag<DetectionId>();
        var writeFailures = 0;
        var readsOk = 0;
        var readFailures = 0;
        var lastWrite = Stopwatch.StartNew();
        var longestGap = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();
        var at = T0.AddDays(35);
        var writer = Task.Run(async () =>
        {
            var batchNo = 0;
            while (!stop.IsCancellationRequested)
            {
                var batch = Enumerable.Range(0, 20).Select(i => Record(UTokyo, at.AddSeconds((batchNo * 20) + i))).ToList();
                batchNo++;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await store.AppendAsync(batch);
                        foreach (var r in batch)
                        {
                            acknowledged.Add(r.Id);
                        }

                        var gap = lastWrite.Elapsed;
                        if (gap > longestGap)
                        {
                            longestGap = gap;
                        }

                        lastWrite.Restart();
                        break;
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                    {
                        // Not acknowledged: the same batch (same ids) is sent again, so a commit that did land is not doubled.
                        writeFailures++;
                        await Task.Delay(100);
                    }
                }
            }
        });
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await readStore.QueryAsync(new DetectionQuery { Participant = UTokyo, From = at, To = at.AddDays(30) });
                    readsOk++;
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    readFailures++;
                }

                await Task.Delay(50);
            }
        });

        await Task.Delay(1500);
        var leader = await cluster.LeaderAsync();
        Assert.NotEqual(0, leader);
        var ackedBeforeKill = acknowledged.Count;
        var (code, killed) = await ClusterFixture.RunAsync("kill", leader.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Directory);
        try
        {
            Assert.True(code == 0, killed);
            await AfterKillAsync(leader);
        }
        finally
        {
            // Whatever happened, the node comes back, so the tests after this one find three nodes.
            await stop.CancelAsync();
            await ClusterFixture.RunAsync("start", leader.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Directory);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        }

        async Task AfterKillAsync(int leader)
        {
            var readsAtKill = readsOk;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(40) && acknowledged.Count < ackedBeforeKill + 200)
            {
                await Task.Delay(200);
            }

            var readsDuringFailover = readsOk - readsAtKill;
            var resumedAfter = watch.Elapsed;

            // Drop the partition while the old primary is down.
            var drop = await RetryAsync(() => sweeper.SweepAsync());
            Assert.Contains(drop.Partitions, p => p.Participant == Kyoto);
            Assert.Contains($"127.0.0.1:{cluster.Port(leader)}", sweeper.LastErasure!.Unreachable);
            Assert.Contains($"detections/{Kyoto}/{JstMonth.Of(T0)}", sweeper.LastErasure.Pending);
            await Task.Delay(500);
            await stop.CancelAsync();
            await Task.WhenAll(writer, reader);
            output.WriteLine($"killed node{leader}; longest write gap {longestGap.TotalSeconds:F1} s; {writeFailures} failed write attempts; reads ok {readsOk} (during failover {readsDuringFailover}), failed {readFailures}; {acknowledged.Count} acknowledged; resumed after {resumedAfter.TotalSeconds:F1} s");
            Assert.True(acknowledged.Count >= ackedBeforeKill + 200, $"writes did not resume within 40 s of the kill ({acknowledged.Count - ackedBeforeKill} after)");
            Assert.True(longestGap < TimeSpan.FromSeconds(30), $"writes were unavailable for {longestGap.TotalSeconds:F1} s");
            // Reads are checked over the window in which writes were down; a reader polling every 50 ms must see one
            // in any window of 2 s or more (a shorter one was seen once, with no read landing in it).
            Assert.True(readsDuringFailover > 0 || resumedAfter < TimeSpan.FromSeconds(2), $"no read succeeded in the {resumedAfter.TotalSeconds:F1} s while the primary was being replaced");

            // Every acknowledged record is there, on the new primary.
            var stored = new HashSet<DetectionId>();
            DetectionCursor? cursor = null;
            do
            {
                var page = await store.QueryAsync(new DetectionQuery { Participant = UTokyo, From = at, To = at.AddDays(30), Limit = DetectionQuery.MaxLimit, Cursor = cursor });
                stored.UnionWith(page.Records.Select(r => r.Id));
                cursor = page.Next;
            }
            while (cursor is not null);
            var missing = acknowledged.Where(id => !stored.Contains(id)).ToList();
            Assert.Empty(missing);

            // The old primary rejoins as a replica and replays the drop: the files are gone there too.
            var (startCode, started) = await ClusterFixture.RunAsync("start", leader.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Directory);
            Assert.True(startCode == 0, started);
            Assert.True(await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60)), "the killed node did not rejoin as a streaming replica");
            Assert.Equal(true, await cluster.ScalarAsync(leader, "SELECT pg_is_in_recovery()"));
            // The erasure left pending while it was down finishes now that it is back, and is recorded.
            var erase = await RetryAsync(() => _storage.EraseAsync(history));
            Assert.Equal([$"detections/{Kyoto}/{JstMonth.Of(T0)}"], erase.Erased);
            Assert.Empty(erase.Pending);
            Assert.Empty(erase.Unreachable);
            Assert.Contains(history.Entries(), e => e.Action == "retention.partition.erased" && e.Subject == $"detections/{Kyoto}/{JstMonth.Of(T0)}");
            Assert.DoesNotContain(AllNodes(dropFiles), File.Exists);
            Assert.Null(await history.FindFirstBrokenLinkAsync());
    
        }
    }

    private IEnumerable<string> AllNodes(IReadOnlyList<string> relativeFiles) =>
        Enumerable.Range(1, 3).SelectMany(n => relativeFiles.Select(f => Path.Combine(cluster.DataDirectory(n), f)));

    private static async Task AssertEventuallyAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"not within 20 s: {what}");
            await Task.Delay(100);
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (NpgsqlException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
            }
        }
    }
}
