using Microsoft.Extensions.Hosting;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Cli;

/// <summary>The admin channel of <c>socs serve</c>: started after the pipeline, stopped before it (hosted services stop in
/// reverse order), so a forwarded verb always finds the stores open.</summary>
internal sealed class AdminChannelService(SocsData data, IServiceProvider services, TimeProvider time) : IHostedService
{
    private AdminChannel? _channel;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _channel = AdminChannel.Start(new ServedData(data, services), time);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
            _channel = null;
        }
    }
}
