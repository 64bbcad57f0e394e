using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Mail;

/// <summary><c>AddSocsMail()</c>: the notifier, its outbox, its transport and the sender loop (R4.5, R4.6).</summary>
internal static class MailServiceCollectionExtensions
{
    /// <summary>Registers mail. Needs <c>AddSocsOptions()</c> (for <c>Socs:Data</c> and <c>Socs:Mail</c>); opens the
    /// operation history and the registry on the data directory unless they are registered already.</summary>
    public static IServiceCollection AddSocsMail(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMailOutbox>(sp => MailOutbox.Open(DataDirectory(sp)));
        services.TryAddSingleton<IOperationHistory>(sp => OperationHistoryStore.Open(DataDirectory(sp), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IRegistryStore>(sp => RegistryStore.Open(DataDirectory(sp)));
        services.TryAddSingleton<IMailTransport>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<MailOptions>>().Value;
            return options.SmtpHost.Length == 0
                ? new EmlMailTransport(Path.Combine(DataDirectory(sp), EmlMailTransport.DirectoryName))
                : new SmtpMailTransport(options);
        });
        services.TryAddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<IRegistryStore>();
            return Create(
                sp.GetRequiredService<IOptions<MailOptions>>().Value,
                sp.GetRequiredService<IMailOutbox>(),
                sp.GetRequiredService<IMailTransport>(),
                sp.GetRequiredService<IOperationHistory>(),
                // R12.1: detection mails stop from the day a termination (or revocation, or expiry) is in effect, not when it is filed.
                p => registry.State.Participants.TryGetValue(p, out var entry)
                    && entry.StatusOn(Core.Time.Jst.DateOf(sp.GetRequiredService<TimeProvider>().GetUtcNow())) == ParticipantStatus.Active ? entry.Contacts : [],
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance);
        });
        services.AddHostedService<MailNotifierService>();
        return services;
    }

    /// <summary>Builds a notifier from options (also used by tests and the demo without DI).</summary>
    public static Notifier Create(MailOptions options, IMailOutbox outbox, IMailTransport transport, IOperationHistory history, Func<ParticipantId, ImmutableArray<string>> contacts, TimeProvider time, ILoggerFactory loggers)
    {
        var planner = new NotificationPlanner(options.ToPolicy(), options.ToSettings());
        var renderer = new MimeMailRenderer(new MailComposer(options.PortalUrl, options.MaxRowsPerMail), options.FromAddress);
        return new Notifier(outbox, planner, renderer, transport, history, contacts, time, loggers.CreateLogger<Notifier>());
    }

    private static string DataDirectory(IServiceProvider sp) =>
        Path.GetFullPath(sp.GetRequiredService<IOptions<DataOptions>>().Value.Directory);
}
