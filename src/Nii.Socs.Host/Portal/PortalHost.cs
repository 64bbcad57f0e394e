using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Portal;

/// <summary>A portal started on a data directory by itself: it opens the host's stores (<see cref="SocsData"/>), the
/// development CA and the server certificate, and serves until disposed (<c>socs portal serve</c>; R4.7, R6.1).</summary>
/// <remarks>
/// A host that already has the stores open (<c>socs demo</c>, <c>socs serve</c>) calls
/// <see cref="PortalServices.For"/> and <see cref="PortalServer.StartAsync"/> instead, because a FASTER log is opened
/// by one owner at a time.
/// <para>Edge case: a data directory without <c>pki/</c> gets a new development CA, so certificates issued elsewhere
/// must be re-issued from it.</para>
/// </remarks>
internal sealed class PortalHost : IAsyncDisposable
{
    private readonly SocsData _data;
    private readonly DevelopmentCa _ca;

    private PortalHost(SocsData data, DevelopmentCa ca, PortalServer server)
    {
        _data = data;
        _ca = ca;
        Server = server;
    }

    /// <summary>The stores it serves (for the admin channel, <see cref="Cli.AdminChannel"/>).</summary>
    public SocsData Data => _data;

    /// <summary>The running server.</summary>
    public PortalServer Server { get; }

    /// <summary>Opens everything under <paramref name="dataDirectory"/> and starts the portal.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="options">The portal settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="kekPath">The key-encryption key file (<see cref="HostSecrets"/>); null for the default.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running host.</returns>
    public static async Task<PortalHost> StartAsync(string dataDirectory, PortalOptions options, TimeProvider time, string? kekPath = null, StorageOptions? storage = null, CancellationToken cancellationToken = default)
    {
        // The stores first: their lock refuses a directory another process owns before anything is touched.
        var data = SocsData.Open(dataDirectory, time, kekPath: kekPath, storage: storage);
        DevelopmentCa? ca = null;
        try
        {
            ca = DevelopmentCa.OpenOrCreate(dataDirectory, time);
            var server = await PortalServer.StartAsync(PortalServices.For(data, ca.Certificate, options), ca.ServerCertificate(), cancellationToken);
            await data.History.AppendAsync("system:portal", "portal.started", "portal/server", $"listening on {server.BaseAddress}", cancellationToken);
            return new PortalHost(data, ca, server);
        }
        catch
        {
            await data.DisposeAsync();
            ca?.Dispose();
            throw;
        }
    }

    /// <summary>Stops the portal and closes the stores.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _data.DisposeAsync();
        _ca.Dispose();
    }
}
