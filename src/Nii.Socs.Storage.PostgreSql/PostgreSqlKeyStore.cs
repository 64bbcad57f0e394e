using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The epoch-key store on the cluster, for the organization's key service (docs/scale-out.md "Epoch keys"):
/// each epoch's wrapped set (R8.1) and its key sealed under the key service's KEK, each in a partition of its own,
/// dropped whole when the epoch ends or its records expire, and then erased from every node's WAL.</summary>
/// <remarks>
/// R8.1, R8.2, R8.4. <c>epoch_keys</c> is partitioned by range over (participant, epoch, kind): kind 0 holds the sealed
/// key, kind 1 the wrapped set, one partition each (<c>k_&lt;sha256(participant)[0..8]&gt;_&lt;epoch&gt;_s|w</c>, listed in
/// <c>epoch_key_partitions</c>). A key is never stored in clear: <see cref="KeyRing"/> hands this store only the KEK-sealed
/// key and the set wrapped to the participant's certificates, and the KEK stays with the key service, never on the cluster.
/// <see cref="DestroySealedKey"/> (the ring, at the epoch's end) and <see cref="Delete"/> (the retention sweep, once no
/// live detection partition references the epoch) drop the partitions in one transaction, so their heap and index files
/// are unlinked on every node (standbys at replay), and then run the erasure rounds (<see cref="PostgreSqlStorage.EraseAsync"/>)
/// so no WAL segment of any node still holds the bytes. <see cref="LastErasure"/> says whether every node is done; a node
/// that was down is finished by <see cref="FinishPendingDeletions"/> or the next erasure once it is back.
/// <para>The members are synchronous (the <see cref="IKeyStore"/> contract); a destruction blocks for its rounds (about a second each).</para>
/// </remarks>
internal sealed class PostgreSqlKeyStore : IKeyStore, IWrappedKeyStore
{
    internal const short SealedKind = 0;
    private const short WrappedKind = 1;
    private readonly PostgreSqlStorage _storage;
    private readonly IOperationHistory? _history;
    private readonly TimeProvider _time;

    internal PostgreSqlKeyStore(PostgreSqlStorage storage, IOperationHistory? history, TimeProvider time)
    {
        _storage = storage;
        _history = history;
        _time = time;
    }

    /// <summary>The outcome of the last erasure this store ran; null before the first.</summary>
    public ErasureReport? LastErasure { get; private set; }

    /// <inheritdoc />
    public void SaveWrappedSet(WrappedKeySet wrappedSet)
    {
        ArgumentNullException.ThrowIfNull(wrappedSet);
        Save(wrappedSet.Epoch, WrappedKind, Encoding.UTF8.GetBytes(wrappedSet.ToJson()));
    }

    /// <inheritdoc />
    public bool TryLoadWrappedSet(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKeySet? wrappedSet)
    {
        wrappedSet = null;
        if (Load(epoch, WrappedKind) is not { } body)
        {
            return false;
        }

        if (!WrappedKeySet.TryParseJson(Encoding.UTF8.GetString(body), out wrappedSet, out var error))
        {
            throw new InvalidDataException($"The wrapped set of {epoch} on the cluster is corrupt: {error}.");
        }

        if (wrappedSet.Epoch != epoch)
        {
            throw new InvalidDataException($"The wrapped set stored for {epoch} names the epoch {wrappedSet.Epoch}.");
        }

        return true;
    }

    /// <inheritdoc />
    public void SaveSealedKey(EpochId epoch, ReadOnlySpan<byte> sealedKey) => Save(epoch, SealedKind, sealedKey.ToArray());

    /// <inheritdoc />
    public bool TryLoadSealedKey(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? sealedKey)
    {
        sealedKey = Load(epoch, SealedKind);
        return sealedKey is not null;
    }

    /// <summary>Destroys the sealed key of an epoch: its partition is dropped and the erasure rounds run (R8.4).</summary>
    /// <param name="epoch">The epoch.</param>
    /// <exception cref="NpgsqlException">The cluster could not be reached (nothing dropped) or refused a round (dropped; erasure pending).</exception>
    public void DestroySealedKey(EpochId epoch) => DropAndErase(epoch.Participant, epoch.Index, [SealedKind], "sealed");

    /// <inheritdoc />
    public IReadOnlyList<EpochId> SealedKeyEpochs(ParticipantId participant) =>
        EpochsOf(participant, SealedKind).Select(e => new EpochId(participant, e)).ToList();

    /// <inheritdoc />
    public IReadOnlyList<ParticipantId> Participants()
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT DISTINCT participant FROM {_storage.Q("epoch_keys")} WHERE kind = {WrappedKind} ORDER BY participant");
        using var reader = command.ExecuteReader();
        var result = new List<ParticipantId>();
        while (reader.Read())
        {
            result.Add(new ParticipantId(reader.GetString(0)));
        }

        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<long> Epochs(ParticipantId participant) => EpochsOf(participant, WrappedKind);

    /// <summary>Deletes every stored form of one epoch's key (the wrapped set and, if still there, the sealed key): the
    /// partitions are dropped and the erasure rounds run; does nothing when absent.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="epoch">The epoch index.</param>
    /// <exception cref="NpgsqlException">The cluster could not be reached (nothing dropped) or refused a round (dropped; erasure pending).</exception>
    public void Delete(ParticipantId participant, long epoch) => DropAndErase(participant, epoch, [SealedKind, WrappedKind], "all");

    /// <summary>Finishes the erasure of epochs whose partitions were dropped while a node was down (or whose rounds were cut short).</summary>
    /// <returns>The epochs now erased from every node.</returns>
    /// <exception cref="NpgsqlException">The primary could not be reached.</exception>
    public IReadOnlyList<(ParticipantId Participant, long Epoch)> FinishPendingDeletions()
    {
        var report = Erase();
        var finished = new List<(ParticipantId, long)>();
        foreach (var subject in report.Erased)
        {
            var parts = subject.Split('/');
            if (parts is ["keys", var p, var e, _] && ParticipantId.IsValid(p) && long.TryParse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
            {
                finished.Add((new ParticipantId(p), index));
            }
        }

        return finished.Distinct().ToList();
    }

    /// <summary>The partition table of one epoch's kind: a digest of the participant, the epoch and the kind.</summary>
    internal static string TableOf(ParticipantId participant, long epoch, short kind)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(participant.Value));
        var index = epoch < 0 ? "m" + (-epoch).ToString(CultureInfo.InvariantCulture) : epoch.ToString(CultureInfo.InvariantCulture);
        return $"k_{Convert.ToHexStringLower(digest.AsSpan(0, 8))}_{index}_{(kind == SealedKind ? "s" : "w")}";
    }

    /// <inheritdoc />
    /// <remarks>One transaction under the partitions' advisory lock: the wrapped set is looked for, and both partitions
    /// created and filled only when it is absent, so two hosts rotating at once store one key (R8.2). A sealed key a
    /// crash left without its set (only older code wrote them apart) is dropped and erased first, not overwritten in place.</remarks>
    public bool TryCreate(EpochId epoch, ReadOnlySpan<byte> sealedKey, WrappedKeySet wrappedSet)
    {
        ArgumentNullException.ThrowIfNull(wrappedSet);
        if (wrappedSet.Epoch != epoch)
        {
            throw new ArgumentException($"The wrapped set is of {wrappedSet.Epoch}, not {epoch}.", nameof(wrappedSet));
        }

        var sealedBody = sealedKey.ToArray();
        var wrappedBody = Encoding.UTF8.GetBytes(wrappedSet.ToJson());
        for (var attempt = 0; ; attempt++)
        {
            using var connection = _storage.DataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            Lock(connection, tx);
            if (Exists(connection, tx, epoch, WrappedKind))
            {
                return false;
            }

            if (Exists(connection, tx, epoch, SealedKind))
            {
                if (attempt > 0)
                {
                    throw new InvalidOperationException($"The leftover sealed key of {epoch} is still on the cluster after its destruction.");
                }

                tx.Rollback();
                DestroyLeftoverSealedKey(epoch);
                continue;
            }

            SaveIn(connection, tx, epoch, SealedKind, sealedBody);
            SaveIn(connection, tx, epoch, WrappedKind, wrappedBody);
            tx.Commit();
            return true;
        }
    }

    /// <inheritdoc />
    /// <remarks>Checked and dropped in one transaction under the partitions' advisory lock, so a set another host commits
    /// meanwhile keeps its sealed key; the erasure rounds run after a drop (R8.4).</remarks>
    public void DestroyLeftoverSealedKey(EpochId epoch)
    {
        if (Drop(epoch.Participant, epoch.Index, [SealedKind], "sealed", onlyWithoutWrappedSet: true))
        {
            Erase();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<EpochId> WrappedSetEpochs(ParticipantId participant) =>
        EpochsOf(participant, WrappedKind).Select(e => new EpochId(participant, e)).ToList();

    /// <summary>The key check of the cluster's key-encryption key: a known value sealed under the KEK of the first host
    /// that asked, stored once (<c>kek_check</c>); every later host must open it with its own KEK.</summary>
    /// <param name="candidate">This host's sealed check value, stored when the cluster has none yet.</param>
    /// <returns>The stored check value (the candidate when this call stored it).</returns>
    /// <exception cref="NpgsqlException">The cluster could not be reached.</exception>
    internal byte[] KeyCheck(byte[] candidate)
    {
        using var command = _storage.DataSource.CreateCommand(
            $"WITH stored AS (INSERT INTO {_storage.Q("kek_check")} VALUES (true, $1) ON CONFLICT DO NOTHING RETURNING body) SELECT body FROM stored UNION ALL SELECT body FROM {_storage.Q("kek_check")} LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = candidate });
        return (byte[])command.ExecuteScalar()!;
    }

    /// <summary>The key check stored in the cluster, or null before any host stored one.</summary>
    /// <returns>The sealed check value, or null.</returns>
    /// <exception cref="NpgsqlException">The cluster could not be reached.</exception>
    internal byte[]? StoredKeyCheck()
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT body FROM {_storage.Q("kek_check")}");
        return command.ExecuteScalar() as byte[];
    }

    private void Save(EpochId epoch, short kind, byte[] body)
    {
        using var connection = _storage.DataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        Lock(connection, tx);
        SaveIn(connection, tx, epoch, kind, body);
        tx.Commit();
    }

    private void Lock(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx);
        lockCommand.Parameters.Add(new NpgsqlParameter { Value = _storage.Schema + ".epoch_key_partitions" });
        lockCommand.ExecuteNonQuery();
    }

    private bool Exists(NpgsqlConnection connection, NpgsqlTransaction tx, EpochId epoch, short kind)
    {
        using var command = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {_storage.Q("epoch_keys")} WHERE participant = $1 AND epoch = $2 AND kind = $3)", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = epoch.Participant.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = epoch.Index });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        return command.ExecuteScalar() is true;
    }

    private void SaveIn(NpgsqlConnection connection, NpgsqlTransaction tx, EpochId epoch, short kind, byte[] body)
    {
        var participant = PostgreSqlStorage.Literal(epoch.Participant.Value);
        var table = TableOf(epoch.Participant, epoch.Index, kind);

        // The range (participant, epoch, kind) .. (participant, epoch, kind + 1) holds exactly one row. Its body collects
        // no statistics: an ANALYZE would copy the sealed key or wrapped set into pg_statistic, where it outlives the drop.
        using (var create = new NpgsqlCommand(
            string.Create(CultureInfo.InvariantCulture, $"""
                CREATE TABLE IF NOT EXISTS {_storage.Q(table)} PARTITION OF {_storage.Q("epoch_keys")}
                    FOR VALUES FROM ({participant}, {epoch.Index}, {kind}) TO ({participant}, {epoch.Index}, {kind + 1});
                ALTER TABLE {_storage.Q(table)} ALTER COLUMN body SET STATISTICS 0;
                INSERT INTO {_storage.Q("epoch_key_partitions")} VALUES ({participant}, {epoch.Index}, {kind}, '{table}') ON CONFLICT DO NOTHING;
                """),
            connection,
            tx))
        {
            create.ExecuteNonQuery();
        }

        using var upsert = new NpgsqlCommand(
            $"INSERT INTO {_storage.Q("epoch_keys")} VALUES ($1, $2, $3, $4) ON CONFLICT (participant, epoch, kind) DO UPDATE SET body = EXCLUDED.body",
            connection,
            tx);
        upsert.Parameters.Add(new NpgsqlParameter { Value = epoch.Participant.Value });
        upsert.Parameters.Add(new NpgsqlParameter { Value = epoch.Index });
        upsert.Parameters.Add(new NpgsqlParameter { Value = kind });
        upsert.Parameters.Add(new NpgsqlParameter { Value = body });
        upsert.ExecuteNonQuery();
    }

    private byte[]? Load(EpochId epoch, short kind)
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT body FROM {_storage.Q("epoch_keys")} WHERE participant = $1 AND epoch = $2 AND kind = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = epoch.Participant.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = epoch.Index });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        return command.ExecuteScalar() as byte[];
    }

    private List<long> EpochsOf(ParticipantId participant, short kind)
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT epoch FROM {_storage.Q("epoch_keys")} WHERE participant = $1 AND kind = $2 ORDER BY epoch");
        command.Parameters.Add(new NpgsqlParameter { Value = participant.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        using var reader = command.ExecuteReader();
        var result = new List<long>();
        while (reader.Read())
        {
            result.Add(reader.GetInt64(0));
        }

        return result;
    }

    /// <summary>Drops every partition of one epoch and records its erasure as pending, without running the rounds
    /// (the retention sweep runs them once for all its drops).</summary>
    /// <returns>Whether anything was dropped.</returns>
    internal bool DropEpoch(ParticipantId participant, long epoch) => Drop(participant, epoch, [SealedKind, WrappedKind], "all");

    private void DropAndErase(ParticipantId participant, long epoch, short[] kinds, string what)
    {
        if (Drop(participant, epoch, kinds, what))
        {
            Erase();
        }
    }

    private bool Drop(ParticipantId participant, long epoch, short[] kinds, string what, bool onlyWithoutWrappedSet = false)
    {
        var subject = string.Create(CultureInfo.InvariantCulture, $"keys/{participant}/{epoch}/{what}");
        var dropped = new List<string>();
        using (var connection = _storage.DataSource.OpenConnection())
        using (var tx = connection.BeginTransaction())
        {
            Lock(connection, tx);
            if (onlyWithoutWrappedSet && Exists(connection, tx, new EpochId(participant, epoch), WrappedKind))
            {
                return false;
            }

            foreach (var kind in kinds)
            {
                var table = TableOf(participant, epoch, kind);
                using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, tx);
                exists.Parameters.Add(new NpgsqlParameter { Value = _storage.Q(table) });
                if (exists.ExecuteScalar() is not true)
                {
                    continue;
                }

                using var drop = new NpgsqlCommand($"DROP TABLE {_storage.Q(table)}; DELETE FROM {_storage.Q("epoch_key_partitions")} WHERE table_name = '{table}';", connection, tx);
                drop.ExecuteNonQuery();
                dropped.Add(table);
            }

            if (dropped.Count == 0)
            {
                return false;
            }

            PostgreSqlErasure.RecordAsync(connection, tx, _storage, subject, _time.GetUtcNow(), CancellationToken.None).GetAwaiter().GetResult();
            tx.Commit();
        }

        Record("keys.epoch.dropped", subject, $"partitions {string.Join(' ', dropped)} dropped (relation files unlinked at commit, standbys at replay)");
        return true;
    }

    private ErasureReport Erase()
    {
        var report = PostgreSqlErasure.RunAsync(_storage, _history, CancellationToken.None).GetAwaiter().GetResult();
        LastErasure = report;
        return report;
    }

    private void Record(string action, string subject, string details) =>
        _history?.AppendAsync(PostgreSqlErasure.KeyServiceActor, action, subject, details).GetAwaiter().GetResult();
}
