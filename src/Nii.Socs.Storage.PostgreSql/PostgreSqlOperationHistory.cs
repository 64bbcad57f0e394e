using System.Globalization;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;
using Npgsql;
using NSec.Cryptography;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The operation history on PostgreSQL: an append-only table whose hash chain any node extends under a row lock,
/// with a chain of signed checkpoints in an append-only table and a witness copy of them outside the cluster.</summary>
/// <remarks>
/// R6.4. An append locks the single head row (<c>SELECT … FOR UPDATE</c>), links the entry to the head's hash with
/// <see cref="OperationEntry.Create"/> (the same canonical form and SHA-256 as the FASTER history), inserts it and
/// moves the head, in one transaction: two writers on any nodes serialise on the head and never fork the chain.
/// A trigger refuses UPDATE, DELETE and TRUNCATE on the table, for the owner role too. A superuser can still disable
/// a trigger, so tamper evidence rests on the chain and its signed checkpoints.
/// <para>Checkpoints (from <see cref="PostgreSqlStorage.SignedHistory"/>) are Core's <see cref="HistoryCheckpoint"/>, signed
/// with the organization's Ed25519 key under the same head lock (in the append's own transaction every
/// <see cref="CheckpointInterval"/> entries, or on demand with <see cref="CheckpointAsync"/>), so writers on any nodes
/// extend one numbered, chained sequence. They are stored as <see cref="HistoryCheckpoint.ToLine"/> in
/// <c>history_checkpoints</c> (append-only, the same trigger) and copied after the commit to the writer's witness directory
/// (Core's witness format: <c>checkpoints.txt</c>, <c>signing.pub</c>). <see cref="VerifyAsync"/> runs Core's
/// <see cref="OperationHistoryVerifier"/> over the table, its checkpoints and a witness: a tail deleted by a superuser
/// who disabled the trigger (entries and checkpoint rows alike) is found from the witness's copy.</para>
/// </remarks>
internal sealed class PostgreSqlOperationHistory : IOperationHistoryStore, IAsyncDisposable, IDisposable
{
    private const string Columns = "seq, at_ticks, actor, action, subject, details, previous_hash, hash";
    private readonly PostgreSqlStorage _storage;
    private readonly TimeProvider _time;
    private readonly Key? _key;
    private readonly CheckpointWitness? _witness;
    private readonly Lock _witnessGate = new();
    private CheckpointTimer? _timer;
    private int _closing;

    internal PostgreSqlOperationHistory(PostgreSqlStorage storage, TimeProvider time, Key? signingKey, CheckpointWitness? witness, int checkpointInterval, TimeSpan checkpointEvery)
    {
        _storage = storage;
        _time = time;
        _key = signingKey;
        _witness = witness;
        CheckpointInterval = checkpointInterval;
        CheckpointEvery = checkpointEvery;
    }

    /// <summary>Time between checkpoints while this writer sees unsigned entries; zero for none.</summary>
    public TimeSpan CheckpointEvery { get; }

    /// <summary>Starts the timed checkpoints (once the history was checked against its witness).</summary>
    internal void StartTimer()
    {
        if (_key is not null && CheckpointEvery > TimeSpan.Zero)
        {
            _timer = new CheckpointTimer(_time, CheckpointEvery, () => CheckpointAsync()); // another writer may have signed already: then nothing is signed
        }
    }

    /// <summary>Entries between signed checkpoints (when the history signs).</summary>
    public int CheckpointInterval { get; }

    /// <summary>The raw Ed25519 public key that signs checkpoints (32 bytes); empty when this history does not sign.</summary>
    public ReadOnlyMemory<byte> SigningPublicKey => _key?.PublicKey.Export(KeyBlobFormat.RawPublicKey) ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>The witness directory in use (full path); null when none.</summary>
    public string? WitnessDirectory => _witness?.Directory;

    /// <summary>Why the last copy to the witness failed; null when it succeeded (it is retried after every checkpoint).</summary>
    public string? WitnessFailure => _witness?.Failure;

    /// <inheritdoc />
    public long Count
    {
        get
        {
            using var command = _storage.DataSource.CreateCommand($"SELECT seq FROM {_storage.Q("history_head")}");
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>The last signed checkpoint in the cluster; null before the first.</summary>
    public HistoryCheckpoint? LastCheckpoint => Checkpoints(1).FirstOrDefault();

    /// <inheritdoc />
    public async Task<OperationEntry> AppendAsync(string actor, string action, string subject, string details, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(details);
        OperationEntry entry;
        var signed = false;
        using (var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            var (sequence, previous) = await LockHeadAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            entry = OperationEntry.Create(sequence + 1, _time.GetUtcNow(), actor, action, subject, details, previous);
            var hash = entry.Hash.ToArray();
            using (var insert = new NpgsqlCommand($"INSERT INTO {_storage.Q("history")} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", connection, tx))
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

            if (_key is not null && entry.Sequence % CheckpointInterval == 0)
            {
                signed = await SignAsync(connection, tx, entry, cancellationToken).ConfigureAwait(false) is not null;
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (signed)
        {
            try
            {
                await CopyToWitnessAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The entry and its checkpoint are committed; the witness catches up after the next checkpoint.
            }
        }

        return entry;
    }

    /// <summary>Signs a checkpoint of the last entry now (unless the last checkpoint already signs it) and copies every
    /// checkpoint the witness lacks to it.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The checkpoint signed now; null when the last entry was already signed (or there is none).</returns>
    /// <exception cref="InvalidOperationException">This history was opened without a signing key.</exception>
    public async Task<HistoryCheckpoint?> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        if (_key is null)
        {
            throw new InvalidOperationException("This history does not sign checkpoints (open it with PostgreSqlStorage.SignedHistory).");
        }

        HistoryCheckpoint? checkpoint = null;
        using (var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            var (sequence, _) = await LockHeadAsync(connection, tx, cancellationToken).ConfigureAwait(false);
            if (sequence > 0)
            {
                using var read = new NpgsqlCommand($"SELECT {Columns} FROM {_storage.Q("history")} WHERE seq = $1", connection, tx);
                read.Parameters.Add(new NpgsqlParameter { Value = sequence });
                OperationEntry? last = null;
                using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        last = ReadEntry(reader);
                    }
                }

                if (last is null)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The history's head names entry {sequence}, which is missing."));
                }

                checkpoint = await SignAsync(connection, tx, last, cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await CopyToWitnessAsync(cancellationToken).ConfigureAwait(false);
        return checkpoint;
    }

    /// <summary>Every signed checkpoint in the cluster, oldest first.</summary>
    /// <returns>The checkpoints.</returns>
    /// <exception cref="InvalidDataException">A stored checkpoint is not a checkpoint line.</exception>
    public IReadOnlyList<HistoryCheckpoint> Checkpoints()
    {
        var checkpoints = Checkpoints(int.MaxValue);
        checkpoints.Reverse();
        return checkpoints;
    }

    /// <summary>Verifies the chain, the signed checkpoints and, when given, a witness's copies of them (R6.4), without changing anything.</summary>
    /// <param name="trustedKey">The organization's Ed25519 public key (the witness's pinned key, or one kept elsewhere).</param>
    /// <param name="witnessDirectory">A witness directory; null for none (the cluster's own checkpoints only).</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns><c>ok …</c>, or the first broken or missing entry and why (as <see cref="OperationHistoryStore.Verify(string, string?, string?)"/>
    /// reports it for one node): a rewritten entry, a gap, a checkpoint that is unsigned, re-signed by another key or
    /// different from the witness's copy, a history shorter than a checkpoint (its tail deleted) or than its own head row.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trustedKey"/> is null.</exception>
    public async Task<HistoryVerification> VerifyAsync(PublicKey trustedKey, string? witnessDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trustedKey);
        List<HistoryCheckpoint> checkpoints;
        try
        {
            checkpoints = [.. Checkpoints()];
        }
        catch (InvalidDataException ex)
        {
            return new HistoryVerification.Broken(0, ex.Message);
        }

        var witnessed = new List<HistoryCheckpoint>();
        if (witnessDirectory is not null)
        {
            var (list, bad) = CheckpointWitness.Read(witnessDirectory);
            if (bad is { } line)
            {
                return new HistoryVerification.Broken(0, string.Create(CultureInfo.InvariantCulture, $"line {line} of the witness's checkpoints.txt is not a checkpoint"));
            }

            witnessed = list;
        }

        var verifier = new OperationHistoryVerifier(checkpoints, witnessed, trustedKey);
        using var connection = await _storage.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        long head;
        using (var headCommand = new NpgsqlCommand($"SELECT seq FROM {_storage.Q("history_head")}", connection, tx))
        {
            head = (long)(await headCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        long count = 0;
        using (var command = new NpgsqlCommand($"SELECT {Columns} FROM {_storage.Q("history")} ORDER BY seq", connection, tx))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!verifier.TryAccept(ReadEntry(reader)))
                {
                    break;
                }

                count++;
            }
        }

        if (count < head)
        {
            verifier.EndsEarly(string.Create(CultureInfo.InvariantCulture, $"the head row names entry {head}"));
        }

        return verifier.Complete();
    }

    /// <summary>Stops the timer and, when this history signs, signs a final checkpoint of the last entry (as the FASTER
    /// history does at shutdown).</summary>
    /// <returns>A task that completes when the final checkpoint is committed and witnessed.</returns>
    /// <exception cref="NpgsqlException">The cluster could not be reached for the final checkpoint (the entries stay
    /// chained; the next writer's checkpoint signs them).</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        if (_key is not null)
        {
            await CheckpointAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the timer and signs a final checkpoint (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public IReadOnlyList<OperationEntry> Read(long first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var command = _storage.DataSource.CreateCommand($"SELECT {Columns} FROM {_storage.Q("history")} WHERE seq >= $1 ORDER BY seq LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)count });
        using var reader = command.ExecuteReader();
        var result = new List<OperationEntry>();
        while (reader.Read())
        {
            result.Add(ReadEntry(reader));
        }

        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<OperationEntry> Entries() => Read(1, int.MaxValue);

    /// <summary>Walks the chain and returns the first entry that does not follow from its predecessor.</summary>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The sequence number of the first broken entry (a wrong hash, a wrong link or a gap); null when intact.</returns>
    /// <remarks>The chain only: a tail cut off cleanly is found by <see cref="VerifyAsync"/> against the signed checkpoints and a witness.</remarks>
    public async Task<long?> FindFirstBrokenLinkAsync(CancellationToken cancellationToken = default)
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT {Columns} FROM {_storage.Q("history")} ORDER BY seq");
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> previous = OperationEntry.GenesisHash;
        long expected = 1;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var stored = ReadEntry(reader);
            var recomputed = OperationEntry.Create(stored.Sequence, stored.At, stored.Actor, stored.Action, stored.Subject, stored.Details, previous);
            if (stored.Sequence != expected || !stored.PreviousHash.Span.SequenceEqual(previous.Span) || !recomputed.Hash.Span.SequenceEqual(stored.Hash.Span))
            {
                return expected;
            }

            previous = recomputed.Hash;
            expected++;
        }

        return null;
    }

    private static OperationEntry ReadEntry(NpgsqlDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        At = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        Actor = reader.GetString(2),
        Action = reader.GetString(3),
        Subject = reader.GetString(4),
        Details = reader.GetString(5),
        PreviousHash = reader.GetFieldValue<byte[]>(6),
        Hash = reader.GetFieldValue<byte[]>(7),
    };

    private async Task<(long Sequence, byte[] Hash)> LockHeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        using var head = new NpgsqlCommand($"SELECT seq, hash FROM {_storage.Q("history_head")} WHERE singleton FOR UPDATE", connection, tx);
        using var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("The history's head row is missing.");
        }

        return (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
    }

    /// <summary>Signs and inserts the checkpoint after the last stored one for <paramref name="entry"/>; the caller holds the head lock.</summary>
    private async Task<HistoryCheckpoint?> SignAsync(NpgsqlConnection connection, NpgsqlTransaction tx, OperationEntry entry, CancellationToken cancellationToken)
    {
        HistoryCheckpoint? previous = null;
        using (var last = new NpgsqlCommand($"SELECT line FROM {_storage.Q("history_checkpoints")} ORDER BY number DESC LIMIT 1", connection, tx))
        {
            if (await last.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string line)
            {
                previous = Parse(line);
            }
        }

        if (entry.Sequence <= (previous?.Sequence ?? 0))
        {
            return null;
        }

        var checkpoint = HistoryCheckpoint.Sign(previous, entry, _time.GetUtcNow(), _key!);
        using var insert = new NpgsqlCommand($"INSERT INTO {_storage.Q("history_checkpoints")} (number, seq, line) VALUES ($1, $2, $3)", connection, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Number });
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Sequence });
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.ToLine() });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return checkpoint;
    }

    private async Task CopyToWitnessAsync(CancellationToken cancellationToken)
    {
        if (_witness is null)
        {
            return;
        }

        // Two copies at once read overlapping rows; the gate makes each append only what the witness still lacks.
        var missing = new List<HistoryCheckpoint>();
        using (var command = _storage.DataSource.CreateCommand($"SELECT line FROM {_storage.Q("history_checkpoints")} WHERE number > $1 ORDER BY number"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = _witness.WitnessedNumber });
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                missing.Add(Parse(reader.GetString(0)));
            }
        }

        lock (_witnessGate)
        {
            _witness.CopyMissing(missing);
        }
    }

    private List<HistoryCheckpoint> Checkpoints(int newest)
    {
        using var command = _storage.DataSource.CreateCommand($"SELECT line FROM {_storage.Q("history_checkpoints")} ORDER BY number DESC LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter { Value = (long)newest });
        using var reader = command.ExecuteReader();
        var result = new List<HistoryCheckpoint>();
        while (reader.Read())
        {
            result.Add(Parse(reader.GetString(0)));
        }

        return result;
    }

    private static HistoryCheckpoint Parse(string line) =>
        HistoryCheckpoint.TryParseLine(line, out var checkpoint)
            ? checkpoint!
            : throw new InvalidDataException($"A stored checkpoint is not a checkpoint line: '{line}'.");
}
