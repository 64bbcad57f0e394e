using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Pipeline;

/// <summary>Every store of one data directory, opened together and closed together (commit and checkpoint on close).</summary>
/// <remarks>Opening takes the directory's lock (<see cref="DataDirectoryLock"/>): a second process that opens it gets
/// <see cref="DataDirectoryBusyException"/>. Verbs reach an open instance through <see cref="DataAccess"/>.
/// <para><c>Socs:Storage:Provider</c> chooses where the registry, the consent log, the history and the detections the
/// portal reads live: the data directory (FASTER, the default) or the PostgreSQL cluster (docs/scale-out.md), and with
/// them the epoch keys (<see cref="Keys"/>). The host key-encryption key file, the certificates and the capture spool
/// stay on the host; on the cluster every host must hold the same key-encryption key (checked at open).</para></remarks>
internal sealed class SocsData : IAsyncDisposable, IDisposable
{
    private readonly DataDirectoryLock _lock;
    private int _disposed;
    private CachedSchedule? _schedule;

    private SocsData(string directory, TimeProvider time, RetentionPolicy retention, EpochSchedule schedule, GrantKeyCustody custody, DataDirectoryLock held, string kekFile, AuditOptions audit, ClusterStores? cluster)
    {
        _lock = held;
        Directory = Path.GetFullPath(directory);
        Time = time;
        Retention = retention;
        Cluster = cluster;
        if (!File.Exists(kekFile))
        {
            cluster?.RefuseNewKek(kekFile);
        }

        Kek = File.Exists(kekFile) ? FileKeyEncryptionKey.Load(kekFile) : FileKeyEncryptionKey.Create(kekFile);
        try
        {
            cluster?.VerifyKek(Kek, kekFile);
        }
        catch
        {
            Kek.Dispose();
            throw;
        }

        if (cluster is null)
        {
            Registry = RegistryStore.Open(Directory);
            Spool = DetectionStore.Open(Directory, Registry.State.RetentionSchedule(retention), time);
            Detections = Spool;
            History = audit.OpenHistory(Directory, time);
            Consent = ConsentStore.Open(Directory);
        }
        else
        {
            // The cluster holds the registry, the consent log, the history and the detections the portal and the
            // consent steps read; captures land in the local FASTER store, the spool the shipper copies from.
            Registry = cluster.Registry;
            Consent = cluster.Consent;
            History = cluster.History;
            Detections = cluster.Detections;
            Spool = DetectionStore.Open(Directory, Registry.State.RetentionSchedule(retention), time);
            cluster.Detections.Schedule = RetentionSchedule();
        }

        Spool.ScheduleSource = RetentionSchedule;
        Keys = cluster is null ? new FileKeyStore(Directory) : cluster.Keys;
        Certificates = new CertificateDirectory(Directory, Registry);
        Ring = new KeyRing(schedule, Keys, Kek, Certificates, time);
        SealingKeys = new RingSealingKeys(this);
        ConsentService = new ConsentService(Directory, Consent, Detections, Keys, Kek, History, time, custody, schedule);
        Schedule = schedule;
    }

    /// <summary>Serialises shipping passes of the spool (the service's shipper and <c>socs store ship</c> run inside it).</summary>
    public SemaphoreSlim ShipGate { get; } = new(1, 1);

    /// <summary>Which provider holds the stores: FASTER in the data directory, or the PostgreSQL cluster.</summary>
    public StorageProvider Provider => Cluster is null ? StorageProvider.Faster : StorageProvider.PostgreSql;

    /// <summary>The cluster's stores when the provider is PostgreSql; null on FASTER.</summary>
    public ClusterStores? Cluster { get; }

    public string Directory { get; }

    public TimeProvider Time { get; }

    public RetentionPolicy Retention { get; }

    /// <summary>The one retention schedule (R7.3): <see cref="Retention"/> (which can only shorten 3 months) plus the
    /// agreements in the registry as they are now. The store's appends, the sweeps, <c>store stats</c> and <c>inspect</c>
    /// all decide with it, so an agreement recorded while the service runs counts from that moment.</summary>
    public RetentionSchedule RetentionSchedule()
    {
        var state = Registry.State;
        if (Volatile.Read(ref _schedule) is { } cached && ReferenceEquals(cached.State, state))
        {
            return cached.Schedule;
        }

        var schedule = state.RetentionSchedule(Retention);
        Volatile.Write(ref _schedule, new CachedSchedule(state, schedule));
        if (Cluster is { } cluster)
        {
            cluster.Detections.Schedule = schedule;
        }

        return schedule;
    }

    private sealed record CachedSchedule(Core.Participants.Registry.RegistryState State, RetentionSchedule Schedule);

    /// <summary>The epoch schedule (R8.3).</summary>
    public EpochSchedule Schedule { get; }

    /// <summary>Told when a participant is found without an active certificate in an epoch (mail to its contacts and staff).</summary>
    public Func<Core.Participants.ParticipantId, EpochId, CancellationToken, Task>? OnNoCertificate { get; set; }

    private readonly HashSet<(string, EpochId)> _noted = [];

    /// <summary>True the first time a state is noted for an epoch in this process.</summary>
    public bool NoteOnce(string state, EpochId epoch)
    {
        lock (_noted)
        {
            return _noted.Add((state, epoch));
        }
    }

    public FileKeyEncryptionKey Kek { get; }

    /// <summary>The participant registry (the data directory's, or the cluster's).</summary>
    public IRegistryStore Registry { get; }

    /// <summary>The detections the portal, the consent steps, the sweeps and the verbs read: the FASTER store, or the cluster's.</summary>
    public IDetectionStore Detections { get; }

    /// <summary>The local FASTER store captures are ingested into: on FASTER the same store as <see cref="Detections"/>;
    /// on PostgreSql the sensor's spool, which <see cref="DetectionShipperService"/> copies to the cluster.</summary>
    public DetectionStore Spool { get; }

    /// <summary>The operation history: the data directory's, or the cluster's table; both signed with the data
    /// directory's <c>audit/signing.key</c> and copied to the witness of <see cref="AuditOptions"/>.</summary>
    public IOperationHistoryStore History { get; }

    /// <summary>The FASTER history with its signed checkpoints; null on the cluster.</summary>
    public OperationHistoryStore? LocalHistory => History as OperationHistoryStore;

    /// <summary>The consent log (the data directory's, or the cluster's).</summary>
    public IConsentLog Consent { get; }

    /// <summary>The epoch keys (wrapped sets and the KEK-sealed current keys): the data directory's <c>keys/</c>
    /// (<see cref="FileKeyStore"/>), or the cluster's (<see cref="Storage.PostgreSql.PostgreSqlKeyStore"/>), shared by every host.</summary>
    public IKeyStore Keys { get; }

    public CertificateDirectory Certificates { get; }

    public KeyRing Ring { get; }

    /// <summary>Where the ingest path gets its sealing keys: <see cref="Ring"/> by default; on a sensor the key service
    /// (<c>Socs:KeyService:Url</c>). Owned and disposed (its held keys zeroised) with the stores.</summary>
    public ISealingKeys SealingKeys { get; set; }

    public ConsentService ConsentService { get; }

    /// <summary>Takes the directory's lock (creating the directory when absent) and opens every store; the history's
    /// checkpoints and witness follow <paramref name="audit"/>, or the configuration (appsettings.json, <c>SOCS_</c>
    /// variables) when null.</summary>
    /// <exception cref="DataDirectoryBusyException">Another process owns the directory.</exception>
    /// <exception cref="Cli.CliUsageException">The key-encryption key would be inside the data directory (checked first).</exception>
    public static SocsData Open(string directory, TimeProvider time, RetentionPolicy? retention = null, EpochSchedule? schedule = null, GrantKeyCustody custody = GrantKeyCustody.Memory, string? kekPath = null, AuditOptions? audit = null, StorageOptions? storage = null)
    {
        var kekFile = HostSecrets.KekFile(directory, kekPath);
        storage ??= StorageOptions.FromConfiguration();
        storage.ThrowIfInvalid();
        PrivateFiles.CreateDirectory(directory);
        var held = DataDirectoryLock.Acquire(directory);
        ClusterStores? cluster = null;
        try
        {
            audit ??= AuditOptions.FromConfiguration();
            cluster = storage.Provider == StorageProvider.PostgreSql ? ClusterStores.Open(storage, time, new ClusterStores.Signing(directory, audit)) : null;
            return new(directory, time, retention ?? RetentionPolicy.Default, schedule ?? EpochSchedule.WeeklyFromMondayJst, custody, held, kekFile, audit, cluster);
        }
        catch
        {
            cluster?.Dispose();
            held.Dispose();
            throw;
        }
    }

    /// <summary>Closes every store, signing the history's final checkpoint: a host disposed synchronously (its
    /// service provider's <c>Dispose</c>) still signs, instead of refusing an async-only singleton.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        ConsentService.Dispose();
        SealingKeys.Dispose();
        Ring.Dispose();
        if (Cluster is { } cluster)
        {
            Spool.Dispose();
            cluster.Dispose();
        }
        else
        {
            Consent.Dispose();
            await ((OperationHistoryStore)History).DisposeAsync();
            Spool.Dispose();
            Registry.Dispose();
        }

        Kek.Dispose();
        _lock.Dispose();
    }
}
