using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Portal;

/// <summary>A portal started on a data directory by itself: it opens the stores, the development CA and the server
/// certificate, and serves until disposed (<c>socs portal serve</c>; R4.7, R6.1).</summary>
/// <remarks>
/// A host that already has the stores open (<c>socs demo</c>, <c>socs serve</c>) builds <see cref="PortalServices"/>
/// itself and calls <see cref="PortalServer.StartAsync"/>, because a FASTER log is opened by one owner at a time.
/// <para>Edge case: without a key ring (<see cref="LiveKeyFrom"/>), fault access is refused with "the key no longer
/// exists": this host holds no current epoch key.</para>
/// </remarks>
internal sealed class PortalHost : IAsyncDisposable
{
    private readonly RegistryStore _registry;
    private readonly DetectionStore _detections;
    private readonly OperationHistoryStore _history;
    private readonly LedgerPortalConsent _consent;
    private readonly DevelopmentCa _ca;

    private PortalHost(RegistryStore registry, DetectionStore detections, OperationHistoryStore history, LedgerPortalConsent consent, DevelopmentCa ca, PortalServer server)
    {
        _registry = registry;
        _detections = detections;
        _history = history;
        _consent = consent;
        _ca = ca;
        Server = server;
    }

    /// <summary>The running server.</summary>
    public PortalServer Server { get; }

    /// <summary>Opens everything under <paramref name="dataDirectory"/> and starts the portal.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="options">The portal settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running host.</returns>
    public static async Task<PortalHost> StartAsync(string dataDirectory, PortalOptions options, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var ca = DevelopmentCa.OpenOrCreate(dataDirectory, time);
        var registry = RegistryStore.Open(dataDirectory);
        var detections = DetectionStore.Open(dataDirectory, time: time);
        var history = OperationHistoryStore.Open(dataDirectory, time);
        var keys = new FileKeyStore(dataDirectory);
        var consent = new LedgerPortalConsent(detections, keys, history, time);
        try
        {
            var services = new PortalServices(dataDirectory, registry, detections, history, keys, consent, time, ca.Certificate, options);
            var server = await PortalServer.StartAsync(services, ca.ServerCertificate(), cancellationToken);
            await history.AppendAsync("system:portal", "portal.started", "portal/server", $"listening on {server.BaseAddress}", cancellationToken);
            return new PortalHost(registry, detections, history, consent, ca, server);
        }
        catch
        {
            consent.Dispose();
            await history.DisposeAsync();
            detections.Dispose();
            registry.Dispose();
            ca.Dispose();
            throw;
        }
    }

    /// <summary>The fault-access key source of a host that runs a key ring: the current epoch's key, or null.</summary>
    /// <param name="ring">The key ring.</param>
    /// <returns>The delegate for <see cref="LedgerPortalConsent"/>.</returns>
    /// <remarks>R7.2/R8.4: only the current epoch's key exists; every older one was destroyed at rotation.</remarks>
    public static Func<EpochId, EpochKey?> LiveKeyFrom(KeyRing ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        return epoch =>
        {
            var current = ring.Current(epoch.Participant);
            return current.Epoch == epoch ? current : null;
        };
    }

    /// <summary>Stops the portal and closes the stores.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _consent.Dispose();
        await _history.DisposeAsync();
        _detections.Dispose();
        _registry.Dispose();
        _ca.Dispose();
    }
}
