using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nii.Socs.Host.Mail;

/// <summary>The sender loop: closes due digests and sends due mails, then sleeps until woken, due, or the poll interval passes.</summary>
internal sealed partial class MailNotifierService(Notifier notifier, IOptions<MailOptions> options, ILogger<MailNotifierService> logger) : BackgroundService
{
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Hosted-service loop boundary: log and go on, so one bad pass never stops mail for good.")]
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = options.Value.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await notifier.CloseDueDigestsAsync(stoppingToken);
                var report = await notifier.SendDueAsync(stoppingToken);
                Pipeline.SocsMetrics.Sent(report.Sent, report.Failed);
                await notifier.WaitForWorkAsync(poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
                await Task.Delay(poll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(EventId = 4510, Level = LogLevel.Error, Message = "A mail pass failed; trying again after the poll interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
