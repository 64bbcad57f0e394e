using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Cli;

/// <summary>The stores a reading verb uses, from the provider of <c>Socs:Storage</c>: the data directory's FASTER
/// stores (each opened when first used, as the verbs did before), or the cluster's.</summary>
/// <remarks>Reading verbs run beside a service without the directory's lock (<see cref="DataUse.ReadOnly"/>); on the
/// cluster they read what every host committed.</remarks>
internal sealed class StoreView : IDisposable
{
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ClusterStores? _cluster;
    private RegistryStore? _registry;
    private DetectionStore? _detections;
    private MailOutbox? _outbox;

    private StoreView(string directory, TimeProvider time, ClusterStores? cluster)
    {
        _directory = directory;
        _time = time;
        _cluster = cluster;
    }

    /// <summary>The provider the stores come from.</summary>
    public StorageProvider Provider => _cluster is null ? StorageProvider.Faster : StorageProvider.PostgreSql;

    /// <summary>The participant registry.</summary>
    public IRegistryStore Registry => _cluster?.Registry ?? (IRegistryStore)(_registry ??= RegistryStore.Open(_directory));

    /// <summary>Whether the registry holds anything to read (on FASTER: its directory exists).</summary>
    public bool HasRegistry => _cluster is not null || System.IO.Directory.Exists(Path.Combine(_directory, RegistryStore.DirectoryName));

    /// <summary>Whether there are detections to read (on FASTER: the store's directory exists).</summary>
    public bool HasDetections => _cluster is not null || System.IO.Directory.Exists(Path.Combine(_directory, DetectionStore.DirectoryName));

    /// <summary>The mail outbox.</summary>
    public IMailOutbox Outbox => _cluster?.Outbox ?? (IMailOutbox)(_outbox ??= MailOutbox.Open(_directory));

    /// <summary>The detections, under <paramref name="schedule"/> (the FASTER store's default when null).</summary>
    public IDetectionStore Detections(RetentionSchedule? schedule = null)
    {
        if (_cluster is { } cluster)
        {
            if (schedule is not null)
            {
                cluster.Detections.Schedule = schedule;
            }

            return cluster.Detections;
        }

        return _detections ??= DetectionStore.Open(_directory, schedule, _time);
    }

    /// <summary>Opens the view of a data directory under the configured provider.</summary>
    /// <exception cref="CliUsageException">The storage settings are not valid.</exception>
    /// <exception cref="Npgsql.NpgsqlException">The cluster could not be reached.</exception>
    public static StoreView Open(string directory, TimeProvider time, StorageOptions? storage = null)
    {
        storage ??= StorageOptions.FromConfiguration();
        storage.ThrowIfInvalid();
        return new StoreView(Path.GetFullPath(directory), time, storage.Provider == StorageProvider.PostgreSql ? ClusterStores.Open(storage, time) : null);
    }

    public void Dispose()
    {
        _outbox?.Dispose();
        _detections?.Dispose();
        _registry?.Dispose();
        _cluster?.Dispose();
    }
}
