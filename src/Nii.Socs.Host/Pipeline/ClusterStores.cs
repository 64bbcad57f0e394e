using Nii.Socs.Host.Configuration;
using Nii.Socs.Storage.PostgreSql;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The stores a host keeps on the PostgreSQL cluster when <c>Socs:Storage:Provider</c> is PostgreSql: the
/// registry, the consent log, the operation history, the detections and the mail outbox, on one connection pool.</summary>
/// <remarks>Every host (sensor, portal, mail) opens its own instance; they share nothing but the cluster, whose head-row
/// locks order every writer (docs/scale-out.md), so the hosts are stateless against it.</remarks>
internal sealed class ClusterStores : IDisposable
{
    private ClusterStores(PostgreSqlStorage storage, PostgreSqlRegistryStore registry, PostgreSqlConsentLog consent, PostgreSqlMailOutbox outbox, TimeProvider time)
    {
        Storage = storage;
        Registry = registry;
        Consent = consent;
        Outbox = outbox;
        History = storage.History(time);
        Detections = storage.Detections(null, time);
    }

    /// <summary>The storage (connection pool and schema).</summary>
    public PostgreSqlStorage Storage { get; }

    public PostgreSqlRegistryStore Registry { get; }

    public PostgreSqlConsentLog Consent { get; }

    public PostgreSqlOperationHistory History { get; }

    public PostgreSqlDetectionStore Detections { get; }

    public PostgreSqlMailOutbox Outbox { get; }

    /// <summary>Connects, creates the schema when absent and folds the logs.</summary>
    /// <exception cref="Cli.CliUsageException">The options name no cluster or the connection string does not parse.</exception>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached.</exception>
    public static ClusterStores Open(StorageOptions options, TimeProvider time) => OpenAsync(options, time).GetAwaiter().GetResult();

    /// <inheritdoc cref="Open"/>
    public static async Task<ClusterStores> OpenAsync(StorageOptions options, TimeProvider time, CancellationToken cancellationToken = default)
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
        try
        {
            registry = await storage.RegistryAsync(cancellationToken).ConfigureAwait(false);
            consent = await storage.ConsentLogAsync(cancellationToken).ConfigureAwait(false);
            var outbox = await PostgreSqlMailOutbox.OpenAsync(storage, cancellationToken).ConfigureAwait(false);
            return new ClusterStores(storage, registry, consent, outbox, time);
        }
        catch
        {
            consent?.Dispose();
            registry?.Dispose();
            await storage.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

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

    public void Dispose()
    {
        Outbox.Dispose();
        Consent.Dispose();
        Registry.Dispose();
        Detections.Dispose();
        Storage.Dispose();
    }
}
