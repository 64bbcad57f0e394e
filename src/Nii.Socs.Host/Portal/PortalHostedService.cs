using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Portal;

/// <summary>The portal as a hosted service of <c>socs serve</c>: it shares the pipeline's stores (<see cref="SocsData"/>)
/// and serves from start to shutdown (R4.7, R6.1).</summary>
/// <remarks>
/// The CA and the server certificate come from <c>&lt;data&gt;/pki/</c> (<see cref="DevelopmentCa"/>): loaded when present,
/// made when not. Edge case: a port already in use stops the host at start with Kestrel's error, not at the first request.
/// </remarks>
internal sealed partial class PortalHostedService(SocsData data, IOptions<PortalOptions> options, IOptions<ServiceHoursOptions> hours, IServiceProvider provider, TimeProvider time, ILogger<PortalHostedService> logger) : IHostedService, IAsyncDisposable
{
    private DevelopmentCa? _ca;
    private PortalServer? _server;

    /// <summary>Where the portal listens once started; null before.</summary>
    public Uri? BaseAddress => _server?.BaseAddress;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ca = DevelopmentCa.OpenOrCreate(data.Directory, time);
        var services = PortalServices.For(data, _ca.Certificate, options.Value) with
        {
            Calendar = hours.Value.ToCalendar(),
            Mailer = provider.GetService<Mail.Notifier>(),
        };
        _server = await PortalServer.StartAsync(services, _ca.ServerCertificate(), cancellationToken);
        await data.History.AppendAsync("system:portal", "portal.started", "portal/server", $"listening on {_server.BaseAddress}", cancellationToken);
        Listening(logger, _server.BaseAddress);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        _ca?.Dispose();
        _ca = null;
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "portal listening on {Address} (client certificate required)")]
    private static partial void Listening(ILogger logger, Uri address);
}
