using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.KeyService;
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
        var config = ConfigOption();
        var command = new Command("serve", "Run the service: capture ingestion, key rotation, retention, portal and mail, from configuration") { set, config };
        command.SetAction((parse, cancellationToken) => RunAsync(context, parse.GetValue(set) ?? [], parse.GetValue(config), cancellationToken));
        return command;
    }

    /// <summary><c>--config FILE</c>: a settings file anywhere, over <c>appsettings.json</c>, under the environment and <c>--set</c>.</summary>
    internal static Option<string?> ConfigOption() => new("--config") { Description = "A JSON settings file (over appsettings.json; environment variables and --set override it)" };

    internal static HostApplicationBuilder CreateBuilder(string[] overrides, TimeProvider time, string? configFile = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddSocsSources(configFile, overrides.Select(DemoCommand.ParseOverride));

        // The Logging section: levels and filters, and Logging:Console:FormatterName=json for one JSON object a line.
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        if (string.Equals(builder.Configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        builder.Services.AddSingleton(time);
        builder.Services.AddSocsOptions();
        return builder;
    }

    private static async Task<int> RunAsync(CliContext context, string[] overrides, string? configFile, CancellationToken cancellationToken)
    {
        var builder = CreateBuilder(overrides, context.Time, configFile);
        builder.Services.AddSocsPipeline();
        builder.Services.AddSocsMail();
        builder.Services.AddSocsPortalService();
        builder.Services.AddSocsKeyService();
        builder.Services.AddHostedService<AdminChannelService>();
        builder.Services.AddHostedService<HealthService>();
        // Under systemd (Type=notify): READY=1 once started, STOPPING=1 on SIGTERM, journald log format.
        builder.Services.AddSystemd();
        using var host = builder.Build();
        if (SocsConfiguration.Failures(host.Services) is { Count: > 0 } invalid)
        {
            foreach (var failure in invalid)
            {
                context.Error.WriteLine($"socs: {failure}");
            }

            return CliApp.BadInput;
        }

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
