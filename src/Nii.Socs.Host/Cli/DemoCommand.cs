using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Host.Demo;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs demo</c>: runs what exists of the service on the embedded default configuration.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var set = new Option<string[]>("--set") { Description = "Override a setting, Key=Value (e.g. Socs:Retention:Months=2)", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "The demo's data directory (default: Socs:Data:Directory, ./data)" };
        var noServe = new Option<bool>("--no-serve") { Description = "Exit after the summary instead of serving the portal" };
        var people = new Option<string?>("--people") { Description = "Where the simulated operators and staff keep their own keys: participants/<id>/, staff/<name>/ (default: beside the data directory)" };
        var config = ServeCommand.ConfigOption();
        var storage = new Option<string?>("--storage") { Description = "faster (default: the data directory) or postgresql (a 3-node cluster: Socs:Storage:ConnectionString, else one started with scripts/cluster.sh and stopped at the end)" };
        var command = new Command("demo", "Runs the whole service on the embedded default, on a simulated clock, and prints what it did") { set, data, noServe, config, people, storage };
        command.SetAction((parse, cancellationToken) => RunAsync(context, parse.GetValue(set) ?? [], parse.GetValue(data), parse.GetValue(people), parse.GetValue(noServe), parse.GetValue(config), parse.GetValue(storage), cancellationToken));
        return command.Uses(DataUse.Owner);
    }

    internal static IHost BuildHost(string[] overrides, string? configFile = null)
    {
        // The same configuration sources and validated options as `socs serve`; the demo prints, it does not log.
        var builder = ServeCommand.CreateBuilder(overrides, TimeProvider.System, configFile);
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    private static async Task<int> RunAsync(CliContext context, string[] overrides, string? dataDirectory, string? people, bool noServe, string? configFile, string? storageName, CancellationToken cancellationToken)
    {
        var onCluster = storageName?.Trim().ToLowerInvariant() switch
        {
            null or "faster" => false,
            "postgresql" => true,
            _ => throw new CliUsageException($"--storage must be faster or postgresql; got '{storageName}'."),
        };
        using var host = BuildHost(overrides, configFile);

        // The demo's stores follow --storage, not Socs:Storage:Provider: only the connection string is read from it.
        if (Configuration.SocsConfiguration.Failures(host.Services).Where(f => !f.StartsWith(StorageOptions.SectionName, StringComparison.Ordinal)).ToList() is { Count: > 0 } invalid)
        {
            foreach (var failure in invalid)
            {
                context.Error.WriteLine($"socs: {failure}");
            }

            return CliApp.BadInput;
        }

        try
        {
            host.Start();
        }
        catch (Exception ex) when (OptionFailures(ex) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                context.Error.WriteLine($"socs: {failure}");
            }

            return CliApp.BadInput;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The configuration binder refuses a value of the wrong type before validation runs.
            context.Error.WriteLine($"socs: {ex.Message}");
            return CliApp.BadInput;
        }

        var directory = dataDirectory ?? host.Services.GetRequiredService<IOptions<DataOptions>>().Value.Directory;
        var kekPath = host.Services.GetRequiredService<IConfiguration>()[Pipeline.HostSecrets.KekPathSetting];
        Pipeline.HostSecrets.KekFile(directory, kekPath);   // refuses a KEK inside the data directory before anything is touched
        using var owner = DemoRun.TakeOwnership(directory);
        await using var cluster = onCluster
            ? await DemoCluster.OpenAsync(host.Services.GetRequiredService<IConfiguration>()[$"{StorageOptions.SectionName}:ConnectionString"], TimeProvider.System, context.Out, cancellationToken)
            : null;
        var storage = cluster?.Options;
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");
        var run = new DemoRun(context, directory, samples, host.Services.GetRequiredService<IOptions<Capture.Governor.LoadGovernorOptions>>().Value, people, kekPath, storage);
        var summary = await run.RunAsync(cancellationToken);
        DemoRun.Print(context.Out, summary);
        if (!noServe)
        {
            // The portal runs on the real clock against what the demo stored; Ctrl+C stops it.
            var portalOptions = host.Services.GetRequiredService<IOptions<PortalOptions>>().Value;
            portalOptions.Staff[summary.Staff!.Thumbprint] = "yamada";
            await using var portal = await PortalHost.StartAsync(directory, portalOptions, TimeProvider.System, kekPath, storage, cancellationToken);
            context.Out.WriteLine($"  portal                {portal.Server.BaseAddress} (mTLS: import a client certificate above, or the staff one {summary.Staff.Pkcs12Path}; CA {Path.Combine(summary.DataDirectory, "pki", "ca.crt.pem")})");
            await using var admin = AdminChannel.Start(new ServedData(portal.Data, null), TimeProvider.System);
            context.Out.WriteLine("  press Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                context.Out.WriteLine("  portal stopped");
            }
        }

        await host.StopAsync(CancellationToken.None);
        return CliApp.Ok;
    }

    /// <summary>Every options validation failure in an exception from host start (one option or an aggregate).</summary>
    internal static List<string> OptionFailures(Exception ex) => ex switch
    {
        OptionsValidationException o => [.. o.Failures],
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. a.InnerExceptions.Cast<OptionsValidationException>().SelectMany(o => o.Failures)],
        _ => [],
    };

    internal static KeyValuePair<string, string?> ParseOverride(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new CliUsageException($"--set takes Key=Value, such as Socs:Retention:Months=2; got '{text}'.");
        }

        return new(text[..eq], text[(eq + 1)..]);
    }
}
