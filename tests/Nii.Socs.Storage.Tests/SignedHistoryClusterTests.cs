using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Audit;
using Nii.Socs.Storage.PostgreSql;
using Npgsql;
using NSec.Cryptography;

namespace Nii.Socs.Storage.Tests;

/// <summary>R6.4 on the cluster: the history's checkpoints are Core's, signed with the organization's key under the
/// head lock and copied to a witness outside the cluster, so a superuser who disables the trigger and cuts the tail
/// (entries and checkpoint rows alike) or rewrites and re-chains entries is found by <c>VerifyAsync</c>.</summary>
[Collection(ClusterTests.Name)]
public sealed class SignedHistoryClusterTests(ClusterFixture cluster) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);
    private readonly string _schema = ClusterFixture.NewSchema();
    private readonly Key _key = Key.Create(SignatureAlgorithm.Ed25519);
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("socs-witness-");
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
        _key.Dispose();
        _temp.Delete(recursive: true);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task A_tail_deleted_by_a_superuser_is_found_from_the_signed_checkpoints_and_from_the_witness_when_they_go_too()
    {
        var witness = Path.Combine(_temp.FullName, "witness");
        var history = _storage.SignedHistory(_key, witness, checkpointInterval: 10, new FakeTimeProvider(T0));
        for (var i = 1; i <= 30; i++)
        {
            await history.AppendAsync("org:yamada", "consent.request.filed", $"request/{i}", "");
        }

        Assert.Equal([10L, 20, 30], history.Checkpoints().Select(c => c.Sequence));
        Assert.Equal(File.ReadAllLines(Path.Combine(witness, "checkpoints.txt")), history.Checkpoints().Select(c => c.ToLine()));
        Assert.Equal(new HistoryVerification.Intact(30, 3) { SignedThrough = 30, LastWitnessed = 3 }, await history.VerifyAsync(_key.PublicKey, witness));

        // A superuser disables the trigger, deletes entries 26..30 and moves the head back: the chain alone looks whole.
        var hash25 = history.Read(25, 1)[0].Hash.ToArray();
        await SuperuserAsync(
            $"ALTER TABLE {_schema}.history DISABLE TRIGGER USER; DELETE FROM {_schema}.history WHERE seq > 25; ALTER TABLE {_schema}.history ENABLE TRIGGER USER; UPDATE {_schema}.history_head SET seq = 25, hash = @p0",
            hash25);
        Assert.Null(await history.FindFirstBrokenLinkAsync());
        var cut = Assert.IsType<HistoryVerification.Broken>(await history.VerifyAsync(_key.PublicKey));
        Assert.Equal(26, cut.Sequence);
        Assert.Contains("checkpoint #3 signed entry 30: the tail was truncated", cut.Reason, StringComparison.Ordinal);

        // The same superuser deletes the checkpoint that signed the tail: the cluster's own rows now agree, the witness does not.
        await SuperuserAsync($"ALTER TABLE {_schema}.history_checkpoints DISABLE TRIGGER USER; DELETE FROM {_schema}.history_checkpoints WHERE number = 3; ALTER TABLE {_schema}.history_checkpoints ENABLE TRIGGER USER");
        Assert.IsType<HistoryVerification.Intact>(await history.VerifyAsync(_key.PublicKey));
        var witnessed = Assert.IsType<HistoryVerification.Broken>(await history.VerifyAsync(_key.PublicKey, witness));
        Assert.Equal(26, witnessed.Sequence);
        Assert.Contains("the witness's checkpoint #3 signed entry 30: the tail was truncated", witnessed.Reason, StringComparison.Ordinal);

        // A writer opened on that witness refuses to extend the cut history.
        var refused = Assert.Throws<InvalidDataException>(() => _storage.SignedHistory(_key, witness, checkpointInterval: 10, new FakeTimeProvider(T0)));
        Assert.Contains("holds checkpoint #3 but the cluster only #2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task A_rewritten_and_rechained_history_is_found_by_the_signed_checkpoint_and_a_resigned_checkpoint_by_the_witness()
    {
        var witness = Path.Combine(_temp.FullName, "witness");
        var history = _storage.SignedHistory(_key, witness, checkpointInterval: 10, new FakeTimeProvider(T0));
        for (var i = 1; i <= 25; i++)
        {
            await history.AppendAsync("org:yamada", "consent.grant.viewed", $"grant/{i}", "record r1");
        }

        Assert.NotNull(await history.CheckpointAsync());
        Assert.Equal([10L, 20, 25], history.Checkpoints().Select(c => c.Sequence));

        // Entry 17 rewritten and every later entry re-chained with correct hashes: no broken link is left.
        var entries = history.Entries().ToList();
        var rechained = new List<OperationEntry>(entries.Take(16));
        foreach (var e in entries.Skip(16))
        {
            rechained.Add(OperationEntry.Create(e.Sequence, e.At, e.Actor, e.Action, e.Subject, e.Sequence == 17 ? "nothing was viewed" : e.Details, rechained[^1].Hash));
        }

        await using (var connection = new NpgsqlConnection(cluster.SuperuserConnection(await cluster.LeaderAsync())))
        {
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await new NpgsqlCommand($"ALTER TABLE {_schema}.history DISABLE TRIGGER USER", connection, tx).ExecuteNonQueryAsync();
            foreach (var e in rechained.Skip(16))
            {
                await using var update = new NpgsqlCommand($"UPDATE {_schema}.history SET details = $2, previous_hash = $3, hash = $4 WHERE seq = $1", connection, tx);
                update.Parameters.Add(new NpgsqlParameter { Value = e.Sequence });
                update.Parameters.Add(new NpgsqlParameter { Value = e.Details });
                update.Parameters.Add(new NpgsqlParameter { Value = e.PreviousHash.ToArray() });
                update.Parameters.Add(new NpgsqlParameter { Value = e.Hash.ToArray() });
                await update.ExecuteNonQueryAsync();
            }

            await new NpgsqlCommand($"ALTER TABLE {_schema}.history ENABLE TRIGGER USER", connection, tx).ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        Assert.Null(await history.FindFirstBrokenLinkAsync());
        var broken = Assert.IsType<HistoryVerification.Broken>(await history.VerifyAsync(_key.PublicKey));
        Assert.Equal(20, broken.Sequence);
        Assert.Contains("differs from the entry signed by checkpoint #2", broken.Reason, StringComparison.Ordinal);

        // An insider who also holds the signing key re-signs checkpoints #2 and #3 over the rewritten chain: the
        // cluster's rows verify again, the witness's copies do not.
        var one = history.Checkpoints()[0];
        var two = HistoryCheckpoint.Sign(one, rechained[19], T0.AddHours(1), _key);
        var three = HistoryCheckpoint.Sign(two, rechained[24], T0.AddHours(1), _key);
        await SuperuserAsync(
            $"ALTER TABLE {_schema}.history_checkpoints DISABLE TRIGGER USER; UPDATE {_schema}.history_checkpoints SET line = CASE number WHEN 2 THEN @p0 ELSE @p1 END WHERE number IN (2, 3); ALTER TABLE {_schema}.history_checkpoints ENABLE TRIGGER USER",
            two.ToLine(),
            three.ToLine());
        Assert.IsType<HistoryVerification.Intact>(await history.VerifyAsync(_key.PublicKey));
        var witnessed = Assert.IsType<HistoryVerification.Broken>(await history.VerifyAsync(_key.PublicKey, witness));
        Assert.Equal(20, witnessed.Sequence);
        Assert.Contains("differs from the witness's copy", witnessed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task Writers_on_two_nodes_both_checkpointing_keep_one_valid_sequence_that_each_witness_holds()
    {
        await using var other = await PostgreSqlStorage.OpenAsync(cluster.ConnectionString, _schema);
        var witnessA = Path.Combine(_temp.FullName, "a");
        var witnessB = Path.Combine(_temp.FullName, "b");
        var a = _storage.SignedHistory(_key, witnessA, checkpointInterval: 7, new FakeTimeProvider(T0));
        var b = other.SignedHistory(_key, witnessB, checkpointInterval: 7, new FakeTimeProvider(T0.AddSeconds(1)));
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var writer = i % 2 == 0 ? a : b;
            await writer.AppendAsync("system:sensor", "detections.shipped", $"batch/{i}", "");
            if (i % 9 == 0)
            {
                await writer.CheckpointAsync();
            }
        }));
        await a.CheckpointAsync();
        await b.CheckpointAsync();

        var checkpoints = a.Checkpoints();
        Assert.Equal(Enumerable.Range(1, checkpoints.Count).Select(n => (long)n), checkpoints.Select(c => c.Number));
        Assert.True(checkpoints.Zip(checkpoints.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "each checkpoint signs a later entry than the one before");
        Assert.Equal(60, checkpoints[^1].Sequence);
        Assert.Contains(checkpoints, c => c.Sequence % 7 == 0);
        foreach (var witness in new[] { witnessA, witnessB })
        {
            Assert.Equal(checkpoints.Select(c => c.ToLine()), File.ReadAllLines(Path.Combine(witness, "checkpoints.txt")));
            var result = Assert.IsType<HistoryVerification.Intact>(await b.VerifyAsync(_key.PublicKey, witness));
            Assert.Equal((60L, checkpoints.Count, 60L), (result.Entries, (int)result.LastCheckpoint!, result.SignedThrough));
        }
    }

    [Fact]
    [Trait("Requirement", "R6.4")]
    public async Task A_timed_checkpoint_signs_unsigned_entries_while_running_and_disposal_signs_the_last_entry()
    {
        var clock = new FakeTimeProvider(T0);
        var witness = Path.Combine(_temp.FullName, "witness");
        var history = _storage.SignedHistory(_key, witness, checkpointInterval: 1000, clock, checkpointEvery: TimeSpan.FromMinutes(1));
        for (var i = 1; i <= 3; i++)
        {
            await history.AppendAsync("org:yamada", "portal.login", $"session/{i}", "");
        }

        Assert.Empty(history.Checkpoints());
        clock.Advance(TimeSpan.FromMinutes(1));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (history.Checkpoints().Count == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the timed checkpoint did not come");
            await Task.Delay(50);
        }

        Assert.Equal(3, history.LastCheckpoint!.Sequence);
        await history.AppendAsync("org:yamada", "portal.logout", "session/3", "");
        await history.AppendAsync("org:yamada", "portal.login", "session/4", "");
        await history.DisposeAsync();

        Assert.Equal([3L, 5], history.Checkpoints().Select(c => c.Sequence));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(witness, "checkpoints.txt")).Length);
        Assert.Equal(new HistoryVerification.Intact(5, 2) { SignedThrough = 5, LastWitnessed = 2 }, await history.VerifyAsync(_key.PublicKey, witness));
    }

    private async Task SuperuserAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(cluster.SuperuserConnection(await cluster.LeaderAsync()));
        await connection.OpenAsync();
        await using var batch = new NpgsqlCommand(sql, connection);
        for (var i = 0; i < parameters.Length; i++)
        {
            // Named parameters: Npgsql then splits the statements itself.
            batch.Parameters.Add(new NpgsqlParameter($"p{i}", parameters[i]));
        }

        await batch.ExecuteNonQueryAsync();
    }
}
