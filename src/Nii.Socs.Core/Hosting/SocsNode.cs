using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Sealing;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Storage.Keys;

namespace Nii.Socs.Core.Hosting;

/// <summary>One NII-SOCS node over a data directory: stores sealed detections, hands participants their wrapped keys, and
/// opens content only through consent. The entry point of a package consumer; built by
/// <see cref="OpenFaster"/> or by <c>services.AddNiiSocs(…).UseFasterStorage(…)</c>.</summary>
/// <remarks>
/// R7.1, R7.3, R8.1–R8.6. Each stored record is sealed under its participant's current epoch key, which is wrapped to the
/// participant's active certificates (<see cref="EnrolCertificate"/> or an <see cref="IActiveCertificates"/> of the
/// caller's) before any content is sealed under it. Every consent step is recorded in the operation history first (R6.4).
/// <para>Edge case: one process owns a data directory at a time; a second node on the same directory fails to open its stores.</para>
/// </remarks>
public sealed class SocsNode : IAsyncDisposable, IDisposable
{
    private readonly FileKeyEncryptionKey _kek;
    private readonly NodeStores _stores;
    private readonly KeyRing _ring;
    private readonly EnrolledCertificates? _enrolled;
    private readonly TimeProvider _time;
    private int _disposed;

    private SocsNode(NiiSocsOptions options, TimeProvider time, IActiveCertificates? certificates, FileKeyEncryptionKey kek, NodeStores stores)
    {
        var directory = Path.GetFullPath(options.DataDirectory!);
        _time = time;
        _kek = kek;
        _stores = stores;
        Retention = new RetentionPolicy(options.RetentionMonths);
        var schedule = new EpochSchedule(options.EpochPeriodDays);
        _enrolled = certificates is null ? new EnrolledCertificates() : null;
        _ring = new KeyRing(schedule, stores.Keys, _kek, certificates ?? _enrolled!, time);
        Consent = new ConsentService(directory, stores.Consent, stores.Detections, stores.Keys, _kek, stores.History, time, options.GrantKeyCustody, schedule);
    }

    /// <summary>The retention in force (R7.3).</summary>
    public RetentionPolicy Retention { get; }

    /// <summary>Decryption requests, approvals, views and fault access (R7.2, R8.5, R8.6): the only way content is opened here.</summary>
    public ConsentService Consent { get; }

    /// <summary>Opens a node on FASTER stores in <see cref="NiiSocsOptions.DataDirectory"/>.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    /// <param name="certificates">The participants' active certificates; null to enrol them with <see cref="EnrolCertificate"/>.</param>
    /// <returns>The node; dispose it to commit and close the stores.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid; the message names every problem.</exception>
    public static SocsNode OpenFaster(NiiSocsOptions options, TimeProvider? time = null, IActiveCertificates? certificates = null)
    {
        Validated(options);
        var clock = time ?? TimeProvider.System;
        return Open(options, clock, certificates, (directory, schedule) => Task.FromResult(OpenFasterStores(directory, schedule, clock))).GetAwaiter().GetResult();
    }

    /// <summary>Opens a node over stores a storage provider opens (the FASTER ones here, the cluster's in the PostgreSQL
    /// package), given the node's data directory and the retention schedule of the options; the node closes them.</summary>
    internal static async Task<SocsNode> Open(NiiSocsOptions options, TimeProvider time, IActiveCertificates? certificates, Func<string, RetentionSchedule, Task<NodeStores>> openStores)
    {
        Validated(options);
        var directory = Path.GetFullPath(options.DataDirectory!);
        Directory.CreateDirectory(directory);
        var kekFile = Path.GetFullPath(options.KeyEncryptionKeyFile!);
        var kek = File.Exists(kekFile) ? FileKeyEncryptionKey.Load(kekFile) : FileKeyEncryptionKey.Create(kekFile);
        NodeStores? stores = null;
        try
        {
            stores = await openStores(directory, new RetentionSchedule(new RetentionPolicy(options.RetentionMonths), [])).ConfigureAwait(false);
            return new SocsNode(options, time, certificates, kek, stores);
        }
        catch
        {
            if (stores is not null)
            {
                await stores.Close().ConfigureAwait(false);
            }

            kek.Dispose();
            throw;
        }
    }

    private static void Validated(NiiSocsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid NiiSocsOptions: " + string.Join("; ", problems) + ".", nameof(options));
        }
    }

    private static NodeStores OpenFasterStores(string directory, RetentionSchedule schedule, TimeProvider time)
    {
        DetectionStore? detections = null;
        OperationHistoryStore? history = null;
        try
        {
            detections = DetectionStore.Open(directory, schedule, time);
            history = OperationHistoryStore.Open(directory, time);
            var consent = ConsentStore.Open(directory);
            var (d, h) = (detections, history);
            return new NodeStores(d, h, consent, new FileKeyStore(directory), async () =>
            {
                consent.Dispose();
                await h.DisposeAsync().ConfigureAwait(false);
                d.Dispose();
            });
        }
        catch
        {
            history?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            detections?.Dispose();
            throw;
        }
    }

    /// <summary>Enrols a participant's client certificate: new epoch keys are wrapped to it (R8.1).</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="certificate">Its certificate (public key only; RSA ≥ 2048, EC P-256 or X25519).</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="ArgumentException">The certificate's key is not supported.</exception>
    /// <exception cref="InvalidOperationException">The node was given an <see cref="IActiveCertificates"/> of the caller's.</exception>
    public void EnrolCertificate(ParticipantId participant, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (_enrolled is null)
        {
            throw new InvalidOperationException("This node reads certificates from the IActiveCertificates it was given; enrol them there.");
        }

        KeyWrapper.SuiteFor(certificate);
        _enrolled.Add(participant, certificate);
    }

    /// <summary>Seals a detection's content under its participant's current epoch key and stores the record (R7.1).</summary>
    /// <param name="participant">Whose network the detection is in.</param>
    /// <param name="header">The clear header (R2.1).</param>
    /// <param name="rule">The rule that fired.</param>
    /// <param name="content">The communication content; sealed before it is stored.</param>
    /// <param name="cancellationToken">Cancels waiting for the commit.</param>
    /// <returns>The stored record; null when the store refused it (its partition is already past retention, R7.3).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">The participant has no active certificate, so no epoch key (R8.1).</exception>
    public async Task<DetectionRecord?> StoreAsync(ParticipantId participant, DetectionHeader header, RuleRef rule, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rule);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (!_ring.TryCurrent(participant, out var key))
        {
            throw new InvalidOperationException($"The participant {participant} has no active client certificate, so no epoch key (R8.1).");
        }

        var acquired = _time.GetUtcNow();
        var id = DetectionId.New(acquired);
        var record = new DetectionRecord
        {
            Id = id,
            Participant = participant,
            Epoch = key.Epoch,
            Header = header,
            Rule = rule,
            AcquiredAt = acquired,
            SealedContent = SealedContent.Seal(key, id, header, content.Span),
        };
        return await _stores.Detections.AppendAsync(record, cancellationToken).ConfigureAwait(false) ? record : null;
    }

    /// <summary>The epoch key of an epoch as wrapped to the participant's certificates: what the participant unwraps on its
    /// own machine to approve a request (R8.1, R8.6).</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="wrapped">The wrapped set; null when the epoch never had a key.</param>
    /// <returns>Whether the epoch has a wrapped set.</returns>
    public bool TryGetWrappedKeys(EpochId epoch, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WrappedKeySet? wrapped) =>
        _stores.Keys.TryLoadWrappedSet(epoch, out wrapped);

    /// <summary>When a stored record is deleted by retention (R7.3).</summary>
    /// <param name="record">The record.</param>
    /// <returns>The first instant it is no longer kept (00:00 JST on the first day of a month).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    public DateTimeOffset ExpiryOf(DetectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _stores.Detections.Schedule.ExpiryOf(record.Participant, Time.JstMonth.Of(record.AcquiredAt));
    }

    /// <summary>Closes the node, committing every store.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Closes the node, committing every store.</summary>
    /// <returns>A task that completes when every store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Consent.Dispose();
        _ring.Dispose();
        await _stores.Close().ConfigureAwait(false);
        _kek.Dispose();
    }

    /// <summary>Certificates enrolled through <see cref="EnrolCertificate"/>, per participant.</summary>
    private sealed class EnrolledCertificates : IActiveCertificates
    {
        private readonly Dictionary<ParticipantId, List<X509Certificate2>> _byParticipant = [];
        private readonly Lock _gate = new();

        public void Add(ParticipantId participant, X509Certificate2 certificate)
        {
            lock (_gate)
            {
                if (!_byParticipant.TryGetValue(participant, out var list))
                {
                    _byParticipant[participant] = list = [];
                }

                list.Add(certificate);
            }
        }

        public IReadOnlyList<X509Certificate2> ActiveFor(ParticipantId participant)
        {
            lock (_gate)
            {
                return _byParticipant.TryGetValue(participant, out var list) ? [.. list] : [];
            }
        }
    }
}

/// <summary>The stores a node runs on, as a storage provider opened them, and how to close them (commit, final checkpoint).</summary>
internal sealed record NodeStores(IDetectionStore Detections, Audit.IOperationHistory History, IConsentLog Consent, IKeyStore Keys, Func<Task> Close);
