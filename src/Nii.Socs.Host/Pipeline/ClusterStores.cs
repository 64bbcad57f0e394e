using Nii.Socs.Host.Configuration;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The stores a host keeps on the PostgreSQL cluster when <c>Socs:Storage:Provider</c> is PostgreSql: the
/// registry, the consent log, the operation history, the detections, the mail outbox and the epoch keys, on one
/// connection pool.</summary>
/// <remarks>Every host (sensor, portal, mail) opens its own instance; they share nothing but the cluster, whose head-row
/// locks order every writer (docs/scale-out.md), so the hosts are stateless against it.</remarks>
internal sealed class ClusterStores : IDisposable
{
    private readonly NSec.Cryptography.Key? _signingKey;

    private ClusterStores(PostgreSqlStorage storage, PostgreSqlRegistryStore registry, PostgreSqlConsentLog consent, PostgreSqlMailOutbox outbox, PostgreSqlOperationHistory history, NSec.Cryptography.Key? signingKey, TimeProvider time)
    {
        Storage = storage;
        Registry = registry;
        Consent = consent;
        Outbox = outbox;
        History = history;
        _signingKey = signingKey;
        Detections = storage.Detections(null, time);
        Keys = storage.Keys(history, time);
    }

    /// <summary>How a host signs the cluster's history: the data directory's <c>audit/signing.key</c>, the witness and
    /// the intervals of <see cref="AuditOptions"/>, as the FASTER history takes them (R6.4).</summary>
    /// <param name="DataDirectory">The data directory whose signing key is used.</param>
    /// <param name="Audit">The witness directory and the checkpoint intervals.</param>
    internal sealed record Signing(string DataDirectory, AuditOptions Audit);

    /// <summary>The storage (connection pool and schema).</summary>
    public PostgreSqlStorage Storage { get; }

    public PostgreSqlRegistryStore Registry { get; }

    public PostgreSqlConsentLog Consent { get; }

    public PostgreSqlOperationHistory History { get; }

    public PostgreSqlDetectionStore Detections { get; }

    public PostgreSqlMailOutbox Outbox { get; }

    /// <summary>The cluster's epoch keys (wrapped sets and KEK-sealed current keys, R8.1, R8.2, R8.4): every host of the
    /// cluster rotates, restores and destroys the same keys here; drops and erasures are recorded in <see cref="History"/>.</summary>
    public PostgreSqlKeyStore Keys { get; }

    /// <summary>Connects, creates the schema when absent and folds the logs.</summary>
    /// <exception cref="Cli.CliUsageException">The options name no cluster or the connection string does not parse.</exception>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached.</exception>
    /// <exception cref="InvalidDataException">The witness pinned another signing key or holds checkpoints the cluster lacks.</exception>
    /// <remarks>With <paramref name="signing"/> the history signs checkpoints and copies them to the witness (a writer:
    /// <c>serve</c>, the verbs that own the data); without it the history appends and reads but signs nothing (the
    /// read-only verbs, which must not create a signing key).</remarks>
    public static ClusterStores Open(StorageOptions options, TimeProvider time, Signing? signing = null) => OpenAsync(options, time, signing).GetAwaiter().GetResult();

    /// <inheritdoc cref="Open"/>
    public static async Task<ClusterStores> OpenAsync(StorageOptions options, TimeProvider time, Signing? signing = null, CancellationToken cancellationToken = default)
    {
        options.ThrowIfInvalid();
        PostgreSqlStorage storage;
        try
        {
            storage = await PostgreSqlStorage.OpenAsync(options.ConnectionString!, options.Schema, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new Cli.CliUsageException($"{StorageOptions.SectionName}:ConnectionString is not a connection string: {e.Message}");
        }

        PostgreSqlRegistryStore? registry = null;
        PostgreSqlConsentLog? consent = null;
        NSec.Cryptography.Key? key = null;
        PostgreSqlOperationHistory? history = null;
        try
        {
            registry = await storage.RegistryAsync(cancellationToken).ConfigureAwait(false);
            consent = await storage.ConsentLogAsync(cancellationToken).ConfigureAwait(false);
            if (signing is null)
            {
                history = storage.History(time);
            }
            else
            {
                key = Core.Storage.OperationHistoryStore.OpenSigningKey(signing.DataDirectory);
                history = storage.SignedHistory(key, signing.Audit.WitnessFor(signing.DataDirectory), signing.Audit.CheckpointEveryEntries, time, signing.Audit.CheckpointEvery);
            }

            var outbox = await PostgreSqlMailOutbox.OpenAsync(storage, cancellationToken).ConfigureAwait(false);
            return new ClusterStores(storage, registry, consent, outbox, history, key, time);
        }
        catch
        {
            if (history is not null)
            {
                await history.DisposeAsync().ConfigureAwait(false);
            }

            key?.Dispose();
            consent?.Dispose();
            registry?.Dispose();
            await storage.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Refuses a key-encryption key other than the one the cluster's epoch keys are sealed under: every host
    /// writing one cluster must hold the same KEK (docs/scale-out.md, "One key-encryption key for the cluster"), else it
    /// could neither restore the current keys another host made nor keep to one key per participant per epoch (R8.2).</summary>
    /// <param name="kek">This host's key-encryption key.</param>
    /// <param name="kekFile">Where it was read from (named in the refusal).</param>
    /// <exception cref="Cli.CliUsageException">The cluster's key check does not open under <paramref name="kek"/>.</exception>
    /// <remarks>The first host to ask stores a fixed value sealed under its KEK (<c>kek_check</c>); every later host must
    /// open it. The value is no key: it tells nothing of the KEK or of any epoch key.</remarks>
    public void VerifyKek(Core.Keys.IKeyEncryptionKey kek, string kekFile)
    {
        ArgumentNullException.ThrowIfNull(kek);
        var stored = Keys.KeyCheck(kek.Seal(KekCheckValue, KekCheckValue));
        var opened = new byte[KekCheckValue.Length];
        if (!kek.TryOpen(stored, KekCheckValue, opened, out var written) || written != KekCheckValue.Length || !opened.AsSpan().SequenceEqual(KekCheckValue))
        {
            throw new Cli.CliUsageException(
                $"the key-encryption key {kekFile} is not the one the epoch keys of the cluster (schema {Storage.Schema}) are sealed under; every host writing one cluster must use the same key-encryption key file ({HostSecrets.KekPathSetting}).");
        }
    }

    /// <summary>Refuses to create a key-encryption key for a cluster whose epoch keys are already sealed under one: a host
    /// pointed at a missing KEK file stops before making a key nobody else holds.</summary>
    /// <param name="kekFile">The missing KEK file.</param>
    /// <exception cref="Cli.CliUsageException">The cluster has a key check.</exception>
    public void RefuseNewKek(string kekFile)
    {
        if (Keys.StoredKeyCheck() is not null)
        {
            throw new Cli.CliUsageException(
                $"the key-encryption key {kekFile} does not exist, but the epoch keys of the cluster (schema {Storage.Schema}) are sealed under an existing one; every host writing one cluster must use the same key-encryption key file ({HostSecrets.KekPathSetting}).");
        }
    }

    private static readonly byte[] KekCheckValue = "nii-socs cluster kek check v1"u8.ToArray();

    /// <summary>Whether an exception (or one inside it) says the cluster could not serve now: a connection lost or
    /// refused, a node shutting down or in recovery, a read-only standby reached during a failover, a timeout.</summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Npgsql.PostgresException p when p.IsTransient || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState == "25006":
                    return true;
                case Npgsql.PostgresException:
                    return false;
                case Npgsql.NpgsqlException:
                case System.Net.Sockets.SocketException:
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>Closes the stores; a signing history signs its final checkpoint first (R6.4).</summary>
    /// <remarks>When the cluster cannot be reached for that checkpoint the host still closes: the entries stay chained
    /// and the next writer's checkpoint signs them.</remarks>
    public void Dispose()
    {
        try
        {
            History.Dispose();
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            // Unsigned entries are signed by the next checkpoint of any writer of the schema.
        }

        _signingKey?.Dispose();
        Outbox.Dispose();
        Consent.Dispose();
        Registry.Dispose();
        Detections.Dispose();
        Storage.Dispose();
    }
}
