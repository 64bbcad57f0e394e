using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs portal serve</c>: serve the portal (R4.7, R6); certificates come from <c>socs certificates</c>.</summary>
internal static class PortalCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("portal", "The service portal with client certificates (R4.7, R6)");
        command.Subcommands.Add(Serve(context).Uses(DataUse.Owner));
        return command;
    }

    /// <summary><c>socs portal serve --data DIR [--port N] [--address A] [--staff THUMBPRINT=NAME]…</c>; runs until Ctrl+C.</summary>
    private static Command Serve(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The data directory", Required = true };
        var port = new Option<int>("--port") { Description = "HTTPS port (0 picks a free one)", DefaultValueFactory = _ => new PortalOptions().Port };
        var address = new Option<string>("--address") { Description = "Listen address", DefaultValueFactory = _ => new PortalOptions().Address };
        var staff = new Option<string[]>("--staff") { Description = "A staff certificate, THUMBPRINT=NAME", AllowMultipleArgumentsPerToken = true };
        var command = new Command("serve", "Serve the portal over HTTPS with client certificates until Ctrl+C") { data, port, address, staff };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new PortalOptions { Port = parse.GetValue(port), Address = parse.GetValue(address)! };
            foreach (var pair in parse.GetValue(staff) ?? [])
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw new CliUsageException($"--staff must be THUMBPRINT=NAME; got '{pair}'.");
                }

                options.Staff[pair[..at].Trim()] = pair[(at + 1)..].Trim();
            }

            var failures = new PortalOptionsValidator().Validate(null, options);
            if (failures.Failed)
            {
                throw new CliUsageException(string.Join("; ", failures.Failures));
            }

            return ServeAsync(context, CliParse.ExistingDataDirectory(parse.GetValue(data)), options, cancellationToken);
        });
        return command;
    }

    private static async Task<int> ServeAsync(CliContext context, string data, PortalOptions options, CancellationToken cancellationToken)
    {
        // SIGTERM and Ctrl+C cancel the token (CliApp); disposal then closes the stores and signs a checkpoint.
        await using var host = await PortalHost.StartAsync(data, options, context.Time, cancellationToken: cancellationToken);
        await using var admin = AdminChannel.Start(new ServedData(host.Data, null), context.Time);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"portal: {host.Server.BaseAddress} (client certificate required; CA {Path.Combine(Path.GetFullPath(data), DevelopmentCa.DirectoryName, "ca.crt.pem")}); Ctrl+C stops"));
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        return CliApp.Ok;
    }
}
