using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nii.Socs.Host.Portal;

/// <summary>The portal running on Kestrel over HTTPS with client certificates required (mTLS, R6.1).</summary>
/// <remarks>
/// The TLS handshake requires a client certificate that chains to the portal's CA; the registry then decides per
/// request who it is (<see cref="PortalAuthentication"/>). Edge case: port 0 picks a free port; <see cref="BaseAddress"/>
/// tells which.
/// </remarks>
internal sealed class PortalServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PortalServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the portal listens, such as <c>https://127.0.0.1:5001/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts the portal.</summary>
    /// <param name="services">The stores, consent and settings.</param>
    /// <param name="serverCertificate">The TLS server certificate with its private key.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<PortalServer> StartAsync(PortalServices services, X509Certificate2 serverCertificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var address = IPAddress.Parse(services.Options.Address);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = PortalGuard.MaxRequestBodyBytes;
            kestrel.Listen(address, services.Options.Port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCertificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = PortalAuthentication.TlsValidator(services.ClientCa, services.Time),
                CheckCertificateRevocation = false,
            }));
        });
        builder.Services.AddSocsPortal(services);
        var app = builder.Build();
        app.Use((http, next) =>
        {
            Pipeline.SocsMetrics.PortalRequest();
            return next(http);
        });
        app.MapSocsPortal();
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        var port = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new PortalServer(app, new Uri($"https://{host}:{port}/"));
    }

    /// <summary>Stops the portal.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        try
        {
            // Repeated refusals still counted in memory are written before the history closes (R6.4).
            await _app.Services.GetRequiredService<PortalServices>().Refusals.FlushAsync();
        }
        catch (ObjectDisposedException)
        {
            // The host closed the history first; the repeats of the last window are lost, the first refusal is recorded.
        }

        await _app.DisposeAsync();
    }
}
