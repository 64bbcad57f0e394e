using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs certificates …</c>: the organization's side of operator certificates — enrol a CSR, renew, revoke,
/// list — each keeping the registry, the certificate directory and the key ring consistent (R3.3, R6.2, R6.3, R8.1).</summary>
internal static class CertificatesCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("certificates", "Operator client certificates: enrol a CSR, renew, revoke, list (R6.2, R6.3)");
        command.Subcommands.Add(Enrol(context).Uses(DataUse.Served));
        command.Subcommands.Add(Renew(context).Uses(DataUse.Served));
        command.Subcommands.Add(Revoke(context).Uses(DataUse.Served));
        command.Subcommands.Add(List(context).Uses(DataUse.Served));
        command.Subcommands.Add(Staff(context).Uses(DataUse.Served));
        command.Subcommands.Add(Sensor(context).Uses(DataUse.Served));
        return command;
    }

    private static Command Enrol(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string>("--participant") { Description = "The participant", Required = true };
        var op = new Option<string>("--operator") { Description = "The registered operator (mail address or name) whose application asked for a certificate (R3.3)", Required = true };
        var csr = new Option<string>("--csr") { Description = "The operator's certificate request (socs participant keygen)", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write the certificate for the operator (default: print it)" };
        var command = new Command("enrol", "Sign a registered operator's CSR; wrap the current epoch key to the new certificate at once (R3.3, R8.1)") { data, participant, op, csr, output };
        command.SetAction(parse =>
        {
            var request = ReadCsr(parse.GetValue(csr)!);
            return Run(context, parse.GetValue(data), async (socs, ca) =>
            {
                var enrolled = await CertificateEnrolment.EnrolAsync(socs, ca, ParticipantOf(parse.GetValue(participant)), parse.GetValue(op)!, request, "system:cli");
                Print(context, enrolled, parse.GetValue(output));
            });
        });
        return command;
    }

    private static Command Renew(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string>("--participant") { Description = "The participant", Required = true };
        var thumbprint = new Option<string>("--thumbprint") { Description = "The SHA-256 thumbprint of the certificate to renew", Required = true };
        var csr = new Option<string>("--csr") { Description = "The operator's request for a NEW key pair", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write the new certificate (default: print it)" };
        var command = new Command("renew", "Enrol a new CSR for the operator of a certificate, then revoke the old one (R6.3)") { data, participant, thumbprint, csr, output };
        command.SetAction(parse =>
        {
            var request = ReadCsr(parse.GetValue(csr)!);
            return Run(context, parse.GetValue(data), async (socs, ca) =>
            {
                var enrolled = await CertificateEnrolment.RenewAsync(socs, ca, ParticipantOf(parse.GetValue(participant)), parse.GetValue(thumbprint)!, request, "system:cli");
                Print(context, enrolled, parse.GetValue(output));
            });
        });
        return command;
    }

    private static Command Revoke(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string>("--participant") { Description = "The participant", Required = true };
        var thumbprint = new Option<string>("--thumbprint") { Description = "The SHA-256 thumbprint of the certificate", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. 'compromise reported by phone'", Required = true };
        var command = new Command("revoke", "Revoke a certificate (R6.2); the current epoch key is wrapped again to the certificates still active") { data, participant, thumbprint, reason };
        command.SetAction(parse => Run(context, parse.GetValue(data), async (socs, _) =>
        {
            var p = ParticipantOf(parse.GetValue(participant));
            var rotation = await CertificateEnrolment.RevokeAsync(socs, p, parse.GetValue(thumbprint)!, parse.GetValue(reason)!, "system:cli");
            context.Out.WriteLine($"revoked\t{parse.GetValue(thumbprint)!.Trim().ToLowerInvariant()}");
            context.Out.WriteLine(rotation.NoCertificate || socs.Certificates.ActiveFor(p).Count == 0
                ? $"warning\t{p} has no active certificate: from the next epoch no key is made and content is not stored until one is enrolled"
                : string.Create(CultureInfo.InvariantCulture, $"epoch\t{rotation.Current.Index} wrapped to {socs.Certificates.ActiveFor(p).Count} active certificate(s)"));
        }));
        return command;
    }

    private static Command List(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string?>("--participant") { Description = "Only this participant" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "Every operator certificate with its status") { data, participant, json };
        command.SetAction(parse =>
        {
            var only = parse.GetValue(participant) is { } text ? ParticipantOf(text) : (ParticipantId?)null;
            using var lease = DataAccess.Open(context, parse.GetValue(data));
            var registry = lease.Data.Registry;
            var certificates = lease.Data.Certificates;
            var rows = new List<(string Participant, string Thumbprint, string Operator, string Status, string Suite, string NotAfter)>();
            foreach (var entry in registry.State.Participants.Values.Where(p => only is null || p.Id == only).OrderBy(p => p.Id.Value, StringComparer.Ordinal))
            {
                foreach (var c in entry.Certificates.Values.OrderBy(c => c.Thumbprint, StringComparer.Ordinal))
                {
                    using var certificate = certificates.Find(c.Thumbprint);
                    rows.Add((entry.Id.Value, c.Thumbprint, c.OperatorEmail, c.Status == CertificateStatus.Active ? "active" : "revoked",
                        certificate is null ? "missing" : KeyWrapper.SuiteFor(certificate).ToString(),
                        certificate is null ? "-" : CliParse.Iso(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()))));
                }
            }

            if (parse.GetValue(json))
            {
                // One object per verb (docs/cli.md): the rows under "certificates".
                context.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["certificates"] = rows.Select(r => new Dictionary<string, string>
                    {
                        ["participant"] = r.Participant, ["sha256"] = r.Thumbprint, ["operator"] = r.Operator, ["status"] = r.Status, ["suite"] = r.Suite, ["not_after"] = r.NotAfter,
                    }).ToList(),
                }));
            }
            else
            {
                foreach (var r in rows)
                {
                    context.Out.WriteLine($"{r.Participant}\t{r.Thumbprint}\t{r.Operator}\t{r.Status}\t{r.Suite}\t{r.NotAfter}");
                }
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command Staff(CliContext context)
    {
        var data = CliParse.DataOption();
        var name = new Option<string>("--name") { Description = "The staff member", Required = true };
        var csr = new Option<string>("--csr") { Description = "The staff member's certificate request (socs participant keygen)", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write the certificate (default: print it)" };
        var command = new Command("enrol-staff", "Sign a staff member's CSR for the portal's staff pages; prints the Socs:Portal:Staff setting to add") { data, name, csr, output };
        command.SetAction(parse =>
        {
            var staff = parse.GetValue(name)!.Trim();
            if (staff.Length == 0 || staff.Any(char.IsControl))
            {
                throw new CliUsageException("--name must name the staff member.");
            }

            var request = ReadCsr(parse.GetValue(csr)!);
            return Run(context, parse.GetValue(data), async (socs, ca) =>
            {
                var certificate = CertificateEnrolment.SignStaff(ca, staff, request);
                var thumbprint = KeyWrapper.Thumbprint(certificate);
                await socs.History.AppendAsync("system:cli", "portal.staff.certificate.issued", $"staff/{staff}", $"sha256={thumbprint} from a CSR");
                Print(context, new Enrolled(certificate, thumbprint, staff, null), parse.GetValue(output));
                context.Out.WriteLine($"setting\tSocs:Portal:Staff:{thumbprint}={staff}");
            });
        });
        return command;
    }

    private static Command Sensor(CliContext context)
    {
        var data = CliParse.DataOption();
        var name = new Option<string>("--name") { Description = "The sensor, e.g. sinet-osaka-1", Required = true };
        var csr = new Option<string>("--csr") { Description = "The sensor's certificate request (socs participant keygen on the sensor)", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write the certificate (default: print it)" };
        var command = new Command("enrol-sensor", "Sign a sensor's CSR for the key service (mTLS); prints the Socs:KeyService:Sensors setting to add") { data, name, csr, output };
        command.SetAction(parse =>
        {
            var sensor = parse.GetValue(name)!.Trim();
            if (sensor.Length == 0 || sensor.Length > 64 || !sensor.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                throw new CliUsageException($"--name must name the sensor in 1 to 64 letters, digits, '-', '.' or '_'; got '{sensor}'.");
            }

            var request = ReadCsr(parse.GetValue(csr)!);
            return Run(context, parse.GetValue(data), async (socs, ca) =>
            {
                var certificate = CertificateEnrolment.SignSensor(ca, sensor, request);
                var thumbprint = KeyWrapper.Thumbprint(certificate);
                await socs.History.AppendAsync("system:cli", "keys.service.sensor.certificate.issued", $"key-service/sensors/{sensor}", $"sha256={thumbprint} from a CSR; admitted once listed in {Configuration.KeyServiceOptions.SectionName}:Sensors");
                Print(context, new Enrolled(certificate, thumbprint, sensor, null), parse.GetValue(output));
                context.Out.WriteLine($"setting\t{Configuration.KeyServiceOptions.SectionName}:Sensors:{thumbprint}={sensor}");
            });
        });
        return command;
    }

    private static int Run(CliContext context, string? data, Func<SocsData, DevelopmentCa, Task> action)
    {
        // The running service's stores when one owns the directory (admin channel), else opened for this verb.
        using var lease = DataAccess.Open(context, data);
        using var ca = DevelopmentCa.OpenOrCreate(lease.Data.Directory, context.Time);
        action(lease.Data, ca).GetAwaiter().GetResult();
        return CliApp.Ok;
    }

    private static void Print(CliContext context, Enrolled enrolled, string? output)
    {
        var pem = enrolled.Certificate.ExportCertificatePem();
        if (output is not null)
        {
            File.WriteAllText(output, pem + "\n");
            context.Out.WriteLine($"certificate\t{output}");
        }

        context.Out.WriteLine($"sha256\t{enrolled.Thumbprint}");
        context.Out.WriteLine($"operator\t{enrolled.OperatorMail}");
        if (enrolled.Rotation is { } rotation)
        {
            context.Out.WriteLine(rotation.NoCertificate
                ? "epoch\tnone (no active certificate)"
                : string.Create(CultureInfo.InvariantCulture, $"epoch\t{rotation.Current.Index} {(rotation.Created ? "made" : "wrapped again")} for the active certificates"));
        }

        if (output is null)
        {
            context.Out.Write(pem);
            context.Out.WriteLine();
        }
    }

    /// <summary>Reads and checks the CSR before any data directory is opened: a refused request changes nothing.</summary>
    private static byte[] ReadCsr(string path)
    {
        byte[] csr;
        try
        {
            csr = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new CliUsageException($"--csr {path}: {ex.Message}");
        }

        CertificateEnrolment.CheckRequest(csr);
        return csr;
    }

    private static ParticipantId ParticipantOf(string? text) =>
        ParticipantId.IsValid(text) ? new ParticipantId(text!) : throw new CliUsageException($"--participant must be a participant id such as u-tokyo; got '{text}'.");
}
