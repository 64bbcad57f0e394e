using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.KeyService;

/// <summary>The key service on Kestrel: hands the current epoch key of a participant to an authenticated sensor over
/// mTLS (docs/scale-out.md, "Epoch keys"; R7.1, R8.2, R8.4).</summary>
/// <remarks>
/// <para>A client certificate is required in the handshake; each request is then admitted only when the certificate
/// chains to the organization's CA and its SHA-256 thumbprint is a listed sensor's (<c>Socs:KeyService:Sensors</c>),
/// else 403, recorded as <c>keys.service.refused</c> (aggregated per certificate, as the portal's refusals). The key is
/// this host's <see cref="KeyRing"/>'s (<see cref="KeyEpochs.EnsureCurrentAsync"/>): rotation, wrapping (R8.1) and
/// destruction happen here and are recorded here as always. Every hand-out is recorded as <c>keys.epoch.handed-out</c>
/// with the sensor as actor and the epoch's end, never the key's bytes. Each sensor certificate may make
/// <c>Socs:KeyService:RequestsPerMinute</c> requests a minute (429 beyond, recorded); requests carry no body and at most
/// <see cref="MaxRequestBytes"/> of headers.</para>
/// <para><b>Security:</b> the key leaves in the response body only (no header, no log, no string); the buffer it is
/// copied into is pinned and zeroed after the write. Kestrel's and TLS's own buffers hold it for the moment of the write.</para>
/// <para>Edge case: a request for an epoch's key after the host's clock passed the epoch's end rotates first, so the
/// sensor gets the new epoch's key; the old one is destroyed on this host by that rotation (R8.4).</para>
/// </remarks>
internal sealed class KeyServiceServer : IAsyncDisposable
{
    /// <summary>The largest request accepted: the request has no body and a short path.</summary>
    public const int MaxRequestBytes = 8 * 1024;

    private readonly WebApplication _app;
    private readonly PortalRefusals _refusals;
    private readonly PartitionedRateLimiter<string> _limiter;

    private KeyServiceServer(WebApplication app, PortalRefusals refusals, PartitionedRateLimiter<string> limiter, Uri baseAddress)
    {
        _app = app;
        _refusals = refusals;
        _limiter = limiter;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the service listens, such as <c>https://127.0.0.1:5443/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts the service.</summary>
    /// <param name="data">The stores and key ring of this host.</param>
    /// <param name="listen">Where to listen; port 0 picks a free one.</param>
    /// <param name="sensors">Listed sensors: thumbprint to name.</param>
    /// <param name="clientCa">The CA a sensor's certificate must chain to.</param>
    /// <param name="serverCertificate">The TLS server certificate with its private key.</param>
    /// <param name="requestsPerMinute">The most requests per minute and sensor certificate; more are answered 429.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running service.</returns>
    public static async Task<KeyServiceServer> StartAsync(SocsData data, IPEndPoint listen, IReadOnlyDictionary<string, string> sensors, X509Certificate2 clientCa, X509Certificate2 serverCertificate, int requestsPerMinute, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(sensors);
        ArgumentNullException.ThrowIfNull(clientCa);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        var listed = new Dictionary<string, string>(sensors, StringComparer.OrdinalIgnoreCase);
        var refusals = new PortalRefusals(data.History, data.Time, "system:key-service", "key-service", "keys.service.refused");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestBytes;
            kestrel.Limits.MaxRequestLineSize = 1024;
            kestrel.Limits.MaxRequestHeaderCount = 32;
            kestrel.Limits.MaxConcurrentConnections = 1024;
            kestrel.Listen(listen, l => l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCertificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                // The handshake proves the sensor holds the certificate's key; whether the certificate is the
                // organization's and listed is decided per request, so a refusal is answered 403 and recorded.
                ClientCertificateValidation = (_, _, _) => true,
                CheckCertificateRevocation = false,
            }));
        });
        // One token bucket per admitted certificate: a listed sensor that floods is answered 429, so neither the key
        // ring nor the history (one hand-out entry per key) is flooded.
        var limiter = PartitionedRateLimiter.Create<string, string>(thumbprint => RateLimitPartition.GetTokenBucketLimiter(thumbprint, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = requestsPerMinute,
            TokensPerPeriod = requestsPerMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            var certificate = http.Connection.ClientCertificate ?? await http.Connection.GetClientCertificateAsync(http.RequestAborted);
            var thumbprint = certificate is null ? null : KeyWrapper.Thumbprint(certificate);
            string? sensor = null;
            var admitted = certificate is not null && DevelopmentCa.ValidatesClient(clientCa, certificate, data.Time.GetUtcNow())
                && listed.TryGetValue(thumbprint!, out sensor);
            if (!admitted)
            {
                await refusals.RecordAsync(
                    thumbprint ?? "no-certificate " + http.Connection.RemoteIpAddress,
                    (certificate is null ? "no client certificate" : "not a listed sensor's certificate of the organization's CA") + $"; {http.Request.Method} {http.Request.Path}",
                    http.RequestAborted);
                await WriteAsync(http, StatusCodes.Status403Forbidden, "this client certificate is not a listed sensor's");
                return;
            }

            using var lease = limiter.AttemptAcquire(thumbprint!);
            if (!lease.IsAcquired)
            {
                await refusals.RecordAsync(thumbprint!, string.Create(CultureInfo.InvariantCulture, $"sensor {sensor} over {requestsPerMinute} requests per minute; {http.Request.Method} {http.Request.Path}"), http.RequestAborted);
                await WriteAsync(http, StatusCodes.Status429TooManyRequests, "too many requests from this sensor");
                return;
            }

            http.Items[typeof(Sensor)] = new Sensor(sensor!, thumbprint!);
            await next(http);
        });
        app.MapGet(KeyServiceProtocol.Route, (HttpContext http, string participant) => HandOutAsync(http, data, refusals, participant));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        var port = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        var host = listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen.Address}]" : listen.Address.ToString();
        return new KeyServiceServer(app, refusals, limiter, new Uri($"https://{host}:{port}/"));
    }

    /// <summary>Stops the service and writes the refusals still counted in memory.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        try
        {
            await _refusals.FlushAsync();
        }
        catch (ObjectDisposedException)
        {
            // The host closed the history first; the first refusal of each source is recorded.
        }

        await _app.DisposeAsync();
        _limiter.Dispose();
    }

    private static async Task HandOutAsync(HttpContext http, SocsData data, PortalRefusals refusals, string text)
    {
        var sensor = (Sensor)http.Items[typeof(Sensor)]!;
        var now = data.Time.GetUtcNow();
        if (!ParticipantId.IsValid(text) || !data.Registry.State.Participants.TryGetValue(new ParticipantId(text), out var entry)
            || entry.StatusOn(Core.Time.Jst.DateOf(now)) != ParticipantStatus.Active)
        {
            await refusals.RecordAsync(sensor.Thumbprint, $"sensor {sensor.Name} asked for '{text}', not an active participant", http.RequestAborted);
            await WriteAsync(http, StatusCodes.Status404NotFound, "not an active participant");
            return;
        }

        var participant = entry.Id;
        var bytes = GC.AllocateArray<byte>(EpochKey.Size, pinned: true);
        try
        {
            EpochId epoch;
            bool hasKey;
            try
            {
                var rotation = await KeyEpochs.EnsureCurrentAsync(data, participant, http.RequestAborted);
                epoch = rotation.Current;
                hasKey = data.Ring.TryCurrent(participant, out var key);
                if (hasKey)
                {
                    epoch = key!.Epoch;
                    key.CopyTo(bytes);
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or CryptographicException)
            {
                var scheduled = data.Schedule.EpochOf(participant, now);
                if (data.NoteOnce("key-service-failed", scheduled))
                {
                    await data.History.AppendAsync("system:key-service", "keys.service.failed", $"keys/{participant}/{scheduled.Index}", $"no key handed out to sensor {sensor.Name}: {ex.Message}", http.RequestAborted);
                }

                await WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "the key cannot be had now");
                return;
            }

            var end = data.Schedule.EndOf(epoch);
            http.Response.Headers[KeyServiceProtocol.EpochHeader] = epoch.Index.ToString(CultureInfo.InvariantCulture);
            http.Response.Headers[KeyServiceProtocol.EndHeader] = KeyServiceProtocol.Format(end);
            if (!hasKey)
            {
                await WriteAsync(http, StatusCodes.Status409Conflict, "no key this epoch: the participant has no active certificate (R8.1)");
                return;
            }

            // Recorded before the key leaves: a hand-out the history cannot record does not happen.
            await data.History.AppendAsync(
                $"sensor:{sensor.Name}",
                "keys.epoch.handed-out",
                $"keys/{participant}/{epoch.Index}",
                $"to sensor {sensor.Name} (certificate sha256={sensor.Thumbprint}) over mTLS, to hold in memory until {KeyServiceProtocol.Format(end)}; key bytes not recorded",
                http.RequestAborted);
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = EpochKey.Size;
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static async Task WriteAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync($"{status}: {message}\n", http.RequestAborted);
    }

    private sealed record Sensor(string Name, string Thumbprint);
}
