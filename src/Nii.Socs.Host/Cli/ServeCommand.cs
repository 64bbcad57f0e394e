using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs serve</c>: the long-running service from configuration, until Ctrl+C (DESIGN §8).</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var set = new Option<string[]>("--set") { Description = "Override a setting, Key=Value (e.g. Socs:Data:Directory=/srv/socs)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("serve", "Run the service: capture ingestion, key rotation, retention, portal and mail, from configuration") { set };
        command.SetAction((parse, cancellationToken) => RunAsync(context, parse.GetValue(set) ?? [], cancellationToken));
        return command;
    }

    internal static HostApplicationBuilder CreateBuilder(string[] overrides, TimeProvider time)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .AddInMemoryCollection(overrides.Select(DemoCommand.ParseOverride));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.AddSingleton(time);
        builder.Services.AddSocsOptions();
        return builder;
    }

    private static async Task<int> RunAsync(CliContext context, string[] overrides, CancellationToken cancellationToken)
    {
        var builder = CreateBuilder(overrides, context.Time);
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        builder.Services.AddSocsPortalService();
        builder.Services.AddHostedService<AdminChannelService>();
        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (DemoCommand.OptionFailures(ex) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                context.Error.WriteLine($"socs: {failure}");
            }

            return CliApp.BadInput;
        }

        await host.WaitForShutdownAsync(cancellationToken);
        return CliApp.Ok;
    }
}
