using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.KeyService;

/// <summary>The key service as a hosted service of <c>socs serve</c> when <c>Socs:KeyService:Listen</c> is set: it hands
/// this host's key ring's current keys to listed sensors (docs/scale-out.md, "Epoch keys").</summary>
/// <remarks>The CA that issues sensor certificates is the data directory's <c>pki/</c> (<see cref="DevelopmentCa"/>), as
/// the portal's; the server certificate is <c>Socs:KeyService:ServerCertificate</c> when set, else that CA's (localhost
/// only). Edge case: with <c>Listen</c> empty it does nothing.</remarks>
internal sealed partial class KeyServiceHostedService(SocsData data, IOptions<KeyServiceOptions> options, TimeProvider time, ILogger<KeyServiceHostedService> logger) : IHostedService, IAsyncDisposable
{
    private DevelopmentCa? _ca;
    private KeyServiceServer? _server;

    /// <summary>Where the service listens once started; null when not configured.</summary>
    public Uri? BaseAddress => _server?.BaseAddress;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Serves)
        {
            return;
        }

        _ca = DevelopmentCa.OpenOrCreate(data.Directory, time);
        // The organization's own server certificate when configured (sensors on other machines reach the service by a
        // name it holds); else the development CA's, for localhost only.
        var serverCertificate = o.ServerCertificate.Length > 0 ? KeyServiceServerCertificate.Load(o.ServerCertificate, o.ServerKey) : _ca.ServerCertificate();
        _server = await KeyServiceServer.StartAsync(data, IPEndPoint.Parse(o.Listen), o.Sensors, _ca.Certificate, serverCertificate, o.RequestsPerMinute, cancellationToken);
        await data.History.AppendAsync("system:key-service", "keys.service.started", "key-service", $"listening on {_server.BaseAddress} for {o.Sensors.Count} listed sensor(s)", cancellationToken);
        Listening(logger, _server.BaseAddress, o.Sensors.Count);
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

    [LoggerMessage(EventId = 6200, Level = LogLevel.Information, Message = "key service listening on {Address} for {Sensors} listed sensor(s) (client certificate required)")]
    private static partial void Listening(ILogger logger, Uri address, int sensors);
}

/// <summary><c>AddSocsKeyService()</c>: the key service's line in <c>socs serve</c> (needs <c>AddSocsPipeline()</c>).</summary>
internal static class KeyServiceServices
{
    public static IServiceCollection AddSocsKeyService(this IServiceCollection services)
    {
        services.AddSingleton<KeyServiceHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyServiceHostedService>());
        return services;
    }
}
