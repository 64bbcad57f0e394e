using System.Globalization;
using System.Text.RegularExpressions;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using NSec.Cryptography;
using Npgsql;

namespace Nii.Socs.Storage.PostgreSql;

/// <summary>The NII-SOCS stores on a PostgreSQL cluster: one schema holding the detection table (partitioned by
/// participant and JST acquisition month), the append-only operation history and the row-level security policy.</summary>
/// <remarks>
/// R4.7, R6.4, R7.3. <see cref="OpenAsync"/> creates the schema when absent (idempotent, under an advisory lock, so
/// any number of nodes may open it at once). The connection string should list every node with
/// <c>Target Session Attributes=read-write</c>: Npgsql then finds the new primary after a failover by itself.
/// The role the service connects as owns the schema but is no superuser: the history's trigger refuses it UPDATE and
/// DELETE, and the portal's reads run under the schema's portal role, bound by row-level security to one participant.
/// </remarks>
internal sealed partial class PostgreSqlStorage : IAsyncDisposable, IDisposable
{
    /// <summary>The schema used when none is given.</summary>
    public const string DefaultSchema = "socs";

    private PostgreSqlStorage(NpgsqlDataSource dataSource, string connectionString, string schema)
    {
        DataSource = dataSource;
        ConnectionString = connectionString;
        Schema = schema;
    }

    /// <summary>The schema that holds the tables.</summary>
    public string Schema { get; }

    /// <summary>The role the portal's reads run under; row-level security binds it to one participant per transaction.</summary>
    public string PortalRole => Schema + "_portal";

    internal NpgsqlDataSource DataSource { get; }

    /// <summary>The connection string as given (every node; the erasure rounds connect to each).</summary>
    internal string ConnectionString { get; }

    /// <summary>Connects and creates the schema's tables, trigger, role and policy when absent (on a standby, only connects).</summary>
    /// <param name="connectionString">An Npgsql connection string (all nodes, read-write target).</param>
    /// <param name="schema">The schema: lower-case letters, digits and underscores, starting with a letter.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    /// <returns>The storage.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or the schema name is not valid.</exception>
    /// <exception cref="NpgsqlException">The cluster could not be reached or refused the set-up.</exception>
    public static async Task<PostgreSqlStorage> OpenAsync(string connectionString, string schema = DefaultSchema, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (schema is null || !SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"'{schema}' is not a schema name (lower-case letters, digits, underscores; at most 40).", nameof(schema));
        }

        var dataSource = NpgsqlDataSource.Create(connectionString);
        var storage = new PostgreSqlStorage(dataSource, connectionString, schema);
        try
        {
            await storage.CreateSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return storage;
    }

    /// <summary>The detection store on this schema.</summary>
    /// <param name="schedule">The retention in force; <see cref="RetentionSchedule.Default"/> when null.</param>
    /// <param name="time">The clock that decides whether an append is already expired; the system clock when null.</param>
    /// <returns>The store; disposing it leaves this storage open.</returns>
    public PostgreSqlDetectionStore Detections(RetentionSchedule? schedule = null, TimeProvider? time = null) =>
        new(this, schedule ?? RetentionSchedule.Default, time ?? TimeProvider.System);

    /// <summary>The operation history on this schema.</summary>
    /// <param name="time">The clock that stamps entries; the system clock when null.</param>
    /// <returns>The history.</returns>
    public PostgreSqlOperationHistory History(TimeProvider? time = null) => new(this, time ?? TimeProvider.System, null, null, OperationHistoryStore.DefaultCheckpointInterval, TimeSpan.Zero);

    /// <summary>The operation history on this schema, signing checkpoints with the organization's key and copying them to a witness (R6.4).</summary>
    /// <param name="signingKey">The organization's Ed25519 key (the one the FASTER history keeps in <c>audit/signing.key</c>);
    /// every writer of the schema signs with the same key.</param>
    /// <param name="witnessDirectory">A directory kept apart from the cluster (one per writer) that receives a copy of
    /// every checkpoint and pins the public key; null for none.</param>
    /// <param name="checkpointInterval">A checkpoint is signed in the same transaction as every entry whose sequence number is a multiple of it.</param>
    /// <param name="time">The clock that stamps entries and checkpoints and drives <paramref name="checkpointEvery"/>; the system clock when null.</param>
    /// <param name="checkpointEvery">Time between checkpoints while entries are unsigned (a timer; another writer's
    /// checkpoint counts); null or zero signs only by count, on demand and at disposal.</param>
    /// <returns>The history; disposing it signs a final checkpoint. The key stays the caller's (not disposed with it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signingKey"/> is null.</exception>
    /// <exception cref="ArgumentException">The key is not an Ed25519 key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checkpointInterval"/> is below 1 or <paramref name="checkpointEvery"/> is negative.</exception>
    /// <exception cref="InvalidDataException">The witness pinned another signing key, or holds a checkpoint the cluster
    /// lacks (checkpoints were removed: run <see cref="PostgreSqlOperationHistory.VerifyAsync"/>; nothing is appended to a
    /// broken history).</exception>
    /// <exception cref="NpgsqlException">The cluster could not be reached.</exception>
    public PostgreSqlOperationHistory SignedHistory(Key signingKey, string? witnessDirectory = null, int checkpointInterval = OperationHistoryStore.DefaultCheckpointInterval, TimeProvider? time = null, TimeSpan? checkpointEvery = null)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        if (signingKey.Algorithm is not Ed25519)
        {
            throw new ArgumentException("Checkpoints are signed with Ed25519.", nameof(signingKey));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointEvery ?? TimeSpan.Zero, TimeSpan.Zero, nameof(checkpointEvery));
        var witness = witnessDirectory is null ? null : CheckpointWitness.Open(witnessDirectory, signingKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        var history = new PostgreSqlOperationHistory(this, time ?? TimeProvider.System, signingKey, witness, checkpointInterval, checkpointEvery ?? TimeSpan.Zero);
        witness?.ThrowIfNotContinuedBy(history.LastCheckpoint, "the cluster");

        history.StartTimer();
        return history;
    }

    /// <summary>Opens the consent log on this schema and folds it.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The log; disposing it leaves this storage open.</returns>
    public Task<PostgreSqlConsentLog> ConsentLogAsync(CancellationToken cancellationToken = default) => PostgreSqlConsentLog.OpenAsync(this, cancellationToken);

    /// <summary>Opens the participant registry on this schema and folds it.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The registry; disposing it leaves this storage open.</returns>
    public Task<PostgreSqlRegistryStore> RegistryAsync(CancellationToken cancellationToken = default) => PostgreSqlRegistryStore.OpenAsync(this, cancellationToken);

    /// <summary>The epoch-key store on this schema (wrapped sets and KEK-sealed keys, one partition per epoch and kind).</summary>
    /// <param name="history">Where each epoch's erasure is recorded; null for nowhere.</param>
    /// <param name="time">The clock of those records; the system clock when null.</param>
    /// <returns>The store.</returns>
    public PostgreSqlKeyStore Keys(Core.Audit.IOperationHistory? history = null, TimeProvider? time = null) => new(this, history, time ?? TimeProvider.System);

    /// <summary>Runs the erasure rounds for every drop not yet erased from every node: WAL switch and CHECKPOINT on the
    /// primary, a wait until each node replayed past it, CHECKPOINT on each node, until no node holds a WAL segment from
    /// before the drops (R7.3, R8.4).</summary>
    /// <param name="history">Where each subject erased (<c>retention.partition.erased</c>, <c>keys.epoch.erased</c>) or still
    /// pending (<c>…erase-pending</c>) is recorded; null for nowhere.</param>
    /// <param name="cancellationToken">Cancels the rounds (the drops stay pending).</param>
    /// <returns>What is now erased everywhere and what is still pending (a node down, or still holding a segment).</returns>
    /// <exception cref="NpgsqlException">The primary could not be reached or refused a round (the role lacks
    /// <c>pg_checkpoint</c>, <c>pg_monitor</c> or EXECUTE on <c>pg_switch_wal()</c>).</exception>
    public Task<ErasureReport> EraseAsync(Core.Audit.IOperationHistory? history = null, CancellationToken cancellationToken = default) => PostgreSqlErasure.RunAsync(this, history, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => DataSource.Dispose();

    internal string Q(string name) => Schema + "." + name;

    internal static int MonthNumber(Core.Time.JstMonth month) => (month.Year * 12) + month.Month - 1;

    internal static Core.Time.JstMonth MonthOf(int number) => new(number / 12, (number % 12) + 1);

    internal static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        var s = Schema;
        var portal = PortalRole;
        var genesis = "\\x" + new string('0', 64);
        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT pg_advisory_xact_lock(hashtext('nii-socs-schema'));
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.detections (
                participant text NOT NULL,
                acq_month integer NOT NULL,
                id uuid NOT NULL,
                observed_ticks bigint NOT NULL,
                epoch bigint NOT NULL,
                rule_sid bigint NOT NULL,
                src inet NOT NULL,
                dst inet NOT NULL,
                record bytea NOT NULL,
                PRIMARY KEY (participant, acq_month, id)
            ) PARTITION BY RANGE (participant, acq_month);
            CREATE INDEX IF NOT EXISTS detections_newest ON {s}.detections (participant, observed_ticks DESC, id DESC);
            CREATE TABLE IF NOT EXISTS {s}.detection_partitions (
                participant text NOT NULL,
                acq_month integer NOT NULL,
                table_name text NOT NULL UNIQUE,
                PRIMARY KEY (participant, acq_month)
            );
            CREATE TABLE IF NOT EXISTS {s}.erasures (
                before_lsn bigint NOT NULL,
                subject text NOT NULL,
                at_ticks bigint NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {s}.erasure_rounds (
                singleton boolean PRIMARY KEY CHECK (singleton),
                n bigint NOT NULL
            );
            INSERT INTO {s}.erasure_rounds VALUES (true, 0) ON CONFLICT DO NOTHING;
            CREATE TABLE IF NOT EXISTS {s}.epoch_keys (
                participant text NOT NULL,
                epoch bigint NOT NULL,
                kind smallint NOT NULL,
                body bytea NOT NULL,
                PRIMARY KEY (participant, epoch, kind)
            ) PARTITION BY RANGE (participant, epoch, kind);
            CREATE TABLE IF NOT EXISTS {s}.kek_check (
                singleton boolean PRIMARY KEY CHECK (singleton),
                body bytea NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {s}.epoch_key_partitions (
                participant text NOT NULL,
                epoch bigint NOT NULL,
                kind smallint NOT NULL,
                table_name text NOT NULL UNIQUE,
                PRIMARY KEY (participant, epoch, kind)
            );
            CREATE TABLE IF NOT EXISTS {s}.history (
                seq bigint PRIMARY KEY,
                at_ticks bigint NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL,
                details text NOT NULL,
                previous_hash bytea NOT NULL,
                hash bytea NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {s}.history_head (
                singleton boolean PRIMARY KEY CHECK (singleton),
                seq bigint NOT NULL,
                hash bytea NOT NULL
            );
            INSERT INTO {s}.history_head VALUES (true, 0, '{genesis}') ON CONFLICT DO NOTHING;
            CREATE OR REPLACE FUNCTION {s}.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS
                $f$BEGIN RAISE EXCEPTION 'the operation history is append-only (R6.4): % refused', TG_OP USING ERRCODE = 'insufficient_privilege'; END$f$;
            CREATE OR REPLACE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON {s}.history
                FOR EACH ROW EXECUTE FUNCTION {s}.refuse_history_change();
            CREATE OR REPLACE TRIGGER history_no_truncate BEFORE TRUNCATE ON {s}.history
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_history_change();
            CREATE TABLE IF NOT EXISTS {s}.history_checkpoints (
                number bigint PRIMARY KEY,
                seq bigint NOT NULL,
                line text NOT NULL
            );
            CREATE OR REPLACE TRIGGER history_checkpoints_append_only BEFORE UPDATE OR DELETE ON {s}.history_checkpoints
                FOR EACH ROW EXECUTE FUNCTION {s}.refuse_history_change();
            CREATE OR REPLACE TRIGGER history_checkpoints_no_truncate BEFORE TRUNCATE ON {s}.history_checkpoints
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_history_change();
            CREATE TABLE IF NOT EXISTS {s}.event_heads (
                log text PRIMARY KEY,
                seq bigint NOT NULL CHECK (seq >= 0)
            );
            ALTER TABLE {s}.event_heads ADD COLUMN IF NOT EXISTS base bigint NOT NULL DEFAULT 0;
            INSERT INTO {s}.event_heads VALUES ('consent', 0), ('registry', 0) ON CONFLICT DO NOTHING;
            CREATE TABLE IF NOT EXISTS {s}.consent_events (
                seq bigint PRIMARY KEY,
                at_ticks bigint NOT NULL,
                event bytea NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {s}.registry_events (
                seq bigint PRIMARY KEY,
                at_ticks bigint NOT NULL,
                event bytea NOT NULL
            );
            CREATE OR REPLACE FUNCTION {s}.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS
                $f$BEGIN RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege'; END$f$;
            CREATE OR REPLACE FUNCTION {s}.refuse_head_rewind() RETURNS trigger LANGUAGE plpgsql AS
                $f$BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.log = OLD.log AND NEW.seq >= OLD.seq AND NEW.base >= OLD.base AND NEW.base <= NEW.seq THEN RETURN NEW; END IF;
                    RAISE EXCEPTION 'an event log head only moves forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
                END$f$;
            CREATE OR REPLACE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON {s}.consent_events
                FOR EACH ROW EXECUTE FUNCTION {s}.refuse_event_change();
            CREATE OR REPLACE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON {s}.consent_events
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_event_change();
            CREATE OR REPLACE TRIGGER registry_events_append_only BEFORE UPDATE OR DELETE ON {s}.registry_events
                FOR EACH ROW EXECUTE FUNCTION {s}.refuse_event_change();
            CREATE OR REPLACE TRIGGER registry_events_no_truncate BEFORE TRUNCATE ON {s}.registry_events
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_event_change();
            CREATE OR REPLACE TRIGGER event_heads_forward_only BEFORE UPDATE OR DELETE ON {s}.event_heads
                FOR EACH ROW EXECUTE FUNCTION {s}.refuse_head_rewind();
            CREATE OR REPLACE TRIGGER event_heads_no_truncate BEFORE TRUNCATE ON {s}.event_heads
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_event_change();
            DO $r$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{portal}') THEN CREATE ROLE {portal} NOLOGIN; END IF;
            END $r$;
            GRANT {portal} TO CURRENT_USER;
            GRANT USAGE ON SCHEMA {s} TO {portal};
            GRANT SELECT ON {s}.detections TO {portal};
            ALTER TABLE {s}.detections ENABLE ROW LEVEL SECURITY;
            DROP POLICY IF EXISTS participant_reads ON {s}.detections;
            CREATE POLICY participant_reads ON {s}.detections FOR SELECT TO {portal}
                USING (participant = current_setting('socs.participant', true));
            """);
        using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using (var probe = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
        {
            if ((bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                // A standby (a read-only connection string): the primary created the schema; nothing to do here.
                return;
            }
        }

        using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using (var command = new NpgsqlCommand(sql, connection, tx))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
