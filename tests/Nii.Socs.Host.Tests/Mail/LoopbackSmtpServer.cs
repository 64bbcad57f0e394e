using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary>One message as it arrived at the test SMTP server: envelope recipients and the raw bytes.</summary>
internal sealed record ArrivedMail(IReadOnlyList<string> Recipients, string? User, byte[] Raw);

/// <summary>A real SMTP server (the SmtpServer package) on 127.0.0.1, storing what arrives in memory.</summary>
internal sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private LoopbackSmtpServer(int port, (string User, string Password)? credentials)
    {
        Port = port;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(b =>
            {
                b.Endpoint(new IPEndPoint(IPAddress.Loopback, port));
                if (credentials is not null)
                {
                    b.AuthenticationRequired().AllowUnsecureAuthentication();
                }
            })
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(Arrived));
        if (credentials is { } c)
        {
            services.Add(new DelegatingUserAuthenticator((user, password) => user == c.User && password == c.Password));
        }

        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<ArrivedMail> Arrived { get; } = new();

    /// <summary>A loopback port nothing listens on right now (bound and released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static LoopbackSmtpServer Start(int? port = null, (string User, string Password)? credentials = null) =>
        new(port ?? FreePort(), credentials);

    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stop.CancelAsync();
        try
        {
            await _server.ShutdownTask.WaitAsync(TimeSpan.FromSeconds(10));
            await _running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private sealed class Store(ConcurrentQueue<ArrivedMail> arrived) : IMessageStore
    {
        public Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var user = context.Authentication.IsAuthenticated ? context.Authentication.User : null;
            arrived.Enqueue(new ArrivedMail(transaction.To.Select(m => $"{m.User}@{m.Host}").ToList(), user, buffer.ToArray()));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
