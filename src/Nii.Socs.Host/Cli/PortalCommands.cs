using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs portal …</c>: issue operator certificates from the development CA and serve the portal (R4.7, R6).</summary>
internal static class PortalCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("portal", "The service portal with client certificates (R4.7, R6)");
        command.Subcommands.Add(Issue(context).Uses(DataUse.Served));
        command.Subcommands.Add(Serve(context).Uses(DataUse.Owner));
        return command;
    }

    /// <summary><c>socs portal issue --data DIR --name N (--participant P --operator MAIL | --staff NAME) [--rsa]</c>.</summary>
    private static Command Issue(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The data directory (pki/ is created under it)", Required = true };
        var name = new Option<string>("--name") { Description = "File name stem of the certificate, e.g. u-tokyo-sato", Required = true };
        var participant = new Option<string?>("--participant") { Description = "The participant whose operator receives it" };
        var operatorMail = new Option<string?>("--operator") { Description = "The operator's mail address (R3.3)" };
        var staff = new Option<string?>("--staff") { Description = "Issue an organization staff certificate for this staff name instead" };
        var rsa = new Option<bool>("--rsa") { Description = "RSA 3072 instead of EC P-256 (keys then unwrap with openssl pkeyutl)" };
        var json = CliOutput.JsonOption();
        var command = new Command("issue", "Issue a client certificate from the development CA and register it (R6.3)") { data, name, participant, operatorMail, staff, rsa, json };
        command.SetAction(parse => IssueAsync(context, parse.GetValue(data)!, parse.GetValue(name)!, parse.GetValue(participant), parse.GetValue(operatorMail), parse.GetValue(staff), parse.GetValue(rsa), parse.GetValue(json)).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> IssueAsync(CliContext context, string data, string name, string? participant, string? operatorMail, string? staff, bool rsa, bool json)
    {
        if (staff is null == participant is null)
        {
            throw new CliUsageException("name either --participant with --operator, or --staff.");
        }

        ParticipantId? id = null;
        if (participant is not null)
        {
            if (!ParticipantId.IsValid(participant))
            {
                throw new CliUsageException($"--participant must be a participant id; got '{participant}'.");
            }

            if (string.IsNullOrWhiteSpace(operatorMail) || !operatorMail.Contains('@', StringComparison.Ordinal))
            {
                throw new CliUsageException($"--operator must be the operator's mail address; got '{operatorMail}'.");
            }

            id = new ParticipantId(participant);
        }
        else if (string.IsNullOrWhiteSpace(staff))
        {
            throw new CliUsageException("--staff must name the staff member.");
        }

        if (context.Served is null)
        {
            Directory.CreateDirectory(data);
        }

        using var lease = DataAccess.Open(context, data);
        if (id is { } known && !lease.Data.Registry.State.Participants.ContainsKey(known))
        {
            throw new CliUsageException($"--participant {participant} is not a registered participant.");
        }

        using var ca = DevelopmentCa.OpenOrCreate(lease.Data.Directory, context.Time);
        var issued = ca.IssueClient(name, rsa ? ClientKeyType.Rsa3072 : ClientKeyType.EcP256);
        var history = lease.Data.History;
        if (id is { } p)
        {
            await lease.Data.Registry.AppendAsync([new CertificateIssued(context.Time.GetUtcNow(), p, issued.Thumbprint, operatorMail!.Trim())]);
            await history.AppendAsync("system:cli", "portal.certificate.issued", $"certificates/{p}/{issued.Thumbprint}", $"to {operatorMail!.Trim()}, {(rsa ? "RSA 3072" : "EC P-256")}");
        }
        else
        {
            await history.AppendAsync("system:cli", "portal.certificate.issued", $"certificates/staff/{issued.Thumbprint}", $"to staff {staff!.Trim()}; add Socs:Portal:Staff:{issued.Thumbprint}={staff.Trim()}");
        }

        var o = context.Out;
        if (json)
        {
            CliOutput.WriteJson(o, new JsonObject
            {
                ["thumbprint"] = issued.Thumbprint,
                ["certificate"] = issued.CertificatePath,
                ["private_key"] = issued.KeyPath,
                ["pkcs12"] = issued.Pkcs12Path,
                ["ca"] = Path.Combine(ca.Directory, "ca.crt.pem"),
                ["participant"] = participant,
                ["operator"] = operatorMail?.Trim(),
                ["staff"] = staff?.Trim(),
            });
            return CliApp.Ok;
        }

        o.WriteLine($"thumbprint:  {issued.Thumbprint}");
        o.WriteLine($"certificate: {issued.CertificatePath}");
        o.WriteLine($"private key: {issued.KeyPath} (mode 0600)");
        o.WriteLine($"browser:     {issued.Pkcs12Path} (PKCS#12, no password; import it into the browser)");
        o.WriteLine($"trust:       {Path.Combine(ca.Directory, "ca.crt.pem")} (the portal's CA)");
        if (staff is not null)
        {
            o.WriteLine($"staff:       serve with --staff {issued.Thumbprint}={staff.Trim()}");
        }

        return CliApp.Ok;
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
        await using var host = await PortalHost.StartAsync(data, options, context.Time, cancellationToken);
        await using var admin = AdminChannel.Start(new ServedData(host.Data, null), context.Time);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"portal: {host.Server.BaseAddress} (client certificate required; CA {Path.Combine(Path.GetFullPath(data), DevelopmentCa.DirectoryName, "ca.crt.pem")}); Ctrl+C stops"));
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        return CliApp.Ok;
    }
}
