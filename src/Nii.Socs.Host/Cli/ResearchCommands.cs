using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Research;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs research …</c>: anonymised research data sets and the address anonymiser (R9.1, R9.2).</summary>
internal static class ResearchCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("research", "Research data sets: prefix-preserving anonymisation, time randomisation, export (R9.1)");
        command.Subcommands.Add(AnonymizeIp(context));
        command.Subcommands.Add(Export(context));
        command.Subcommands.Add(Malware(context));
        command.Subcommands.Add(Recipients(context));
        return command;
    }

    private static Command AnonymizeIp(CliContext context)
    {
        var keyHex = new Option<string>("--key-hex") { Description = "The 32-byte Crypto-PAn key as 64 hex digits (AES-128 key, then pad)", Required = true };
        var addresses = new Argument<string[]>("address") { Description = "IPv4 or IPv6 addresses", Arity = ArgumentArity.OneOrMore };
        var json = CliOutput.JsonOption();
        var command = new Command("anonymize-ip", "Anonymise addresses with Crypto-PAn, one per line (R9.1)") { keyHex, addresses, json };
        command.SetAction(parse =>
        {
            var key = ParseKey(parse.GetValue(keyHex));
            var parsed = new List<IPAddress>();
            foreach (var text in parse.GetValue(addresses) ?? [])
            {
                if (!IPAddress.TryParse(text, out var address) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
                {
                    throw new CliUsageException($"'{text}' is not an IPv4 or IPv6 address.");
                }

                parsed.Add(address);
            }

            using var pan = new CryptoPan(key);
            Array.Clear(key);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["addresses"] = new JsonArray([.. parsed.Select(a => (JsonNode)new JsonObject { ["address"] = a.ToString(), ["anonymized"] = pan.Anonymize(a).ToString() })]),
                });
                return CliApp.Ok;
            }

            foreach (var address in parsed)
            {
                context.Out.WriteLine(pan.Anonymize(address).ToString());
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static byte[] ParseKey(string? hex)
    {
        if (hex is null || hex.Length != 2 * CryptoPan.KeyLength || !hex.All(char.IsAsciiHexDigit))
        {
            throw new CliUsageException($"--key-hex must be {2 * CryptoPan.KeyLength} hex digits (a {CryptoPan.KeyLength}-byte Crypto-PAn key); got {hex?.Length ?? 0} characters.");
        }

        return Convert.FromHexString(hex);
    }

    private static Command Export(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The organization's data directory (detection store, recipients, research secrets)", Required = true };
        var from = new Option<string>("--from") { Description = "Start of the acquisition range, inclusive (ISO 8601 with offset)", Required = true };
        var to = new Option<string>("--to") { Description = "End of the acquisition range, exclusive (ISO 8601 with offset)", Required = true };
        var recipient = new Option<string>("--recipient") { Description = "The registered recipient the data set is made for", Required = true };
        var output = new Option<string>("--out") { Description = "A new or empty directory for the data set", Required = true };
        var format = new Option<string>("--format") { Description = "parquet, csv or pcap", DefaultValueFactory = _ => "parquet" };
        var maxShiftDays = new Option<int>("--max-shift-days") { Description = "Largest time shift in days (default 180)", DefaultValueFactory = _ => (int)TimeRandomization.Default.MaxShift.TotalDays };
        var unitSeconds = new Option<int>("--shift-unit-seconds") { Description = "The shift is a multiple of this many seconds (default 1; 604800 keeps weekday and time of day)", DefaultValueFactory = _ => 1 };
        var bucketSeconds = new Option<int>("--bucket-seconds") { Description = "Floor shifted times to this many seconds (default 0: no coarsening)", DefaultValueFactory = _ => 0 };
        var reuse = new Option<string?>("--reuse-secret-of") { Description = "Reuse the kept secret of an earlier data set, for a consistent re-export on request" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bar" };
        var json = CliOutput.JsonOption();
        var command = new Command("export", "Export an anonymised research data set and its manifest (R9.1)")
        {
            data, from, to, recipient, output, format, maxShiftDays, unitSeconds, bucketSeconds, reuse, quiet, json,
        };
        command.SetAction(parse =>
        {
            var dataDir = parse.GetValue(data)!;
            var start = CliParse.Instant("--from", parse.GetValue(from));
            var end = CliParse.Instant("--to", parse.GetValue(to));
            if (end <= start)
            {
                throw new CliUsageException($"--to must be after --from; got {CliParse.Iso(start)} to {CliParse.Iso(end)}.");
            }

            var fileFormat = ParseFormat(parse.GetValue(format));
            var time = ParseTime(parse.GetValue(maxShiftDays), parse.GetValue(unitSeconds), parse.GetValue(bucketSeconds));
            var who = RegisteredRecipient(dataDir, parse.GetValue(recipient));
            var secrets = new ResearchSecretStore(dataDir);
            var outDir = NewOutputDirectory(secrets, parse.GetValue(output));

            if (!ResearchInputs.TryOpen(dataDir, out var input) || input is null)
            {
                throw new CliUsageException($"No detection store was found for --data '{dataDir}'.");
            }

            var now = context.Time.GetUtcNow();
            var id = "rds-" + Guid.CreateVersion7(now).ToString("N");
            var request = new ResearchExportRequest(who, start, end, fileFormat, time, id, now, outDir);
            using var secret = parse.GetValue(reuse) is { } earlier ? secrets.Load(earlier) : ResearchSecret.Generate();

            // The secret is kept before any data leaves, so no data set ever exists without it.
            secrets.Save(id, secret, request, secret.DeriveTimeShift(time));
            ResearchManifest manifest;
            try
            {
                var bar = parse.GetValue(quiet) ? null : new ProgressBar(context.Error);
                manifest = ResearchExporter.ExportAsync(input.Detections, input.Participants, request, secret, bar, CancellationToken.None).GetAwaiter().GetResult();
                bar?.Finish();
            }
            catch
            {
                // Nothing half-made stays behind: not the data, not its secret.
                File.Delete(Path.Combine(outDir, ResearchExporter.DataFileName(fileFormat)));
                File.Delete(Path.Combine(outDir, ResearchExporter.ManifestName));
                File.Delete(secrets.PathOf(id));
                throw;
            }

            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["data_set"] = id,
                    ["recipient"] = who.Name,
                    ["rows"] = manifest.Rows,
                    ["files"] = new JsonArray([.. manifest.Files.Select(f => (JsonNode)new JsonObject { ["path"] = Path.Combine(outDir, f.Name), ["sha256"] = f.Sha256 })]),
                    ["manifest"] = Path.Combine(outDir, ResearchExporter.ManifestName),
                    ["secret"] = secrets.PathOf(id),
                });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"data set {id} for {who}");
            context.Out.WriteLine($"rows: {manifest.Rows.ToString(CultureInfo.InvariantCulture)}");
            foreach (var file in manifest.Files)
            {
                context.Out.WriteLine($"file: {Path.Combine(outDir, file.Name)} sha256 {file.Sha256}");
            }

            context.Out.WriteLine($"manifest: {Path.Combine(outDir, ResearchExporter.ManifestName)}");
            context.Out.WriteLine($"secret kept by the organization: {secrets.PathOf(id)}");
            return CliApp.Ok;
        });
        return command;
    }

    private static ResearchRecipient RegisteredRecipient(string dataDir, string? name)
    {
        var registry = new ResearchRecipientsFile(dataDir).Load();
        if (!registry.TryGet(name, out var who))
        {
            var known = registry.All.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", registry.All.Select(r => r.Name));
            throw new CliUsageException($"--recipient '{name}' is not a registered research recipient ({known}); register it with 'socs research recipients add'.");
        }

        return who;
    }

    private static string NewOutputDirectory(ResearchSecretStore secrets, string? output)
    {
        var outDir = Path.GetFullPath(output!);
        if (secrets.Contains(outDir))
        {
            throw new CliUsageException($"--out must not be inside or above the secrets directory {secrets.Directory}: secrets never go into a data set.");
        }

        if (File.Exists(outDir) || (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any()))
        {
            throw new CliUsageException($"--out '{outDir}' must be a new or empty directory.");
        }

        return outDir;
    }

    private static Command Malware(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The organization's data directory", Required = true };
        var grant = new Option<string>("--grant") { Description = "A live viewing grant whose purpose is research (R9.2)", Required = true };
        var records = new Option<string[]>("--record") { Description = "Record ids whose content is the sample", Required = true, AllowMultipleArgumentsPerToken = true };
        var recipient = new Option<string>("--recipient") { Description = "A registered research recipient", Required = true };
        var output = new Option<string>("--out") { Description = "A new or empty directory for samples.zip and manifest.json", Required = true };
        var report = new Option<string?>("--sandbox-report") { Description = "The sandbox analysis result (JSON) stored beside each sample" };
        var json = CliOutput.JsonOption();
        var command = new Command("malware", "Package malware samples carved from content under a research grant: a zip encrypted with 'infected', manifest outside (R9.2)") { data, grant, records, recipient, output, report, json };
        command.SetAction(parse =>
        {
            var dataDir = parse.GetValue(data)!;
            var who = RegisteredRecipient(dataDir, parse.GetValue(recipient));
            var secrets = new ResearchSecretStore(dataDir);
            var outDir = NewOutputDirectory(secrets, parse.GetValue(output));
            var reportJson = parse.GetValue(report) is { } path ? File.ReadAllText(path) : """{"verdict":"not analysed"}""";
            using var session = ConsentCommands.Session.Open(context, dataDir);
            if (!Core.Consent.GrantId.TryParse(parse.GetValue(grant), out var grantId) || !session.Service.Ledger.TryGetGrant(grantId, out var g))
            {
                throw new CliUsageException($"--grant: no grant {parse.GetValue(grant)}.");
            }

            if (g.Purpose != Core.Consent.Purpose.Research)
            {
                throw new CliUsageException($"grant {grantId} was given for {g.Purpose.ToString().ToLowerInvariant()}; malware leaves only under a grant whose purpose is research (R9.2).");
            }

            // Each sample is opened through the consent service: the view is recorded before the bytes are used.
            var samples = new List<MalwareSample>();
            foreach (var text in parse.GetValue(records) ?? [])
            {
                if (!Core.Detections.DetectionId.TryParse(text, out var id))
                {
                    throw new CliUsageException($"--record must be a record id; got '{text}'.");
                }

                var opened = session.Service.ViewAsync(grantId, g.Grantee, id).GetAwaiter().GetResult();
                if (!opened.Succeeded)
                {
                    throw new CliUsageException(opened.Refusal.Message);
                }

                var stored = session.Detections.FindAsync(g.Participant, id).GetAwaiter().GetResult()!;
                samples.Add(new MalwareSample(opened.Value, stored.AcquiredAt, stored.Rule, reportJson));
            }

            var now = context.Time.GetUtcNow();
            var dataSetId = "rds-" + Guid.CreateVersion7(now).ToString("N");
            using var secret = ResearchSecret.Generate();
            var time = TimeRandomization.Default;
            secrets.Save(dataSetId, secret, new ResearchExportRequest(who, samples.Min(x => x.FirstSeen), samples.Max(x => x.FirstSeen).AddTicks(1), ResearchFormat.EncryptedZip, time, dataSetId, now, outDir), secret.DeriveTimeShift(time));
            using var anonymizer = new ResearchAnonymizer(secret, time, []);
            var plan = MalwarePackagePlan.Create(samples, anonymizer);
            var manifest = MalwarePackageWriter.WriteAsync(plan, who, time, secret, dataSetId, now, outDir, CancellationToken.None).GetAwaiter().GetResult();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["data_set"] = dataSetId,
                    ["recipient"] = who.Name,
                    ["samples"] = manifest.Rows,
                    ["zip"] = Path.Combine(outDir, MalwarePackageWriter.ZipName),
                    ["password"] = MalwarePackagePlan.Password,
                    ["manifest"] = Path.Combine(outDir, ResearchExporter.ManifestName),
                });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"data set {dataSetId} for {who}");
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"samples: {manifest.Rows} in {Path.Combine(outDir, MalwarePackageWriter.ZipName)} (password: {MalwarePackagePlan.Password})"));
            context.Out.WriteLine($"manifest: {Path.Combine(outDir, ResearchExporter.ManifestName)}");
            return CliApp.Ok;
        });
        return command;
    }

    private static ResearchFormat ParseFormat(string? text) => text switch
    {
        "parquet" => ResearchFormat.Parquet,
        "csv" => ResearchFormat.Csv,
        "pcap" => ResearchFormat.Pcap,
        _ => throw new CliUsageException($"--format must be parquet, csv or pcap; got '{text}'."),
    };

    private static TimeRandomization ParseTime(int maxShiftDays, int unitSeconds, int bucketSeconds)
    {
        if (maxShiftDays is < 1 or > 36525)
        {
            throw new CliUsageException($"--max-shift-days must be between 1 and 36525; got {maxShiftDays}.");
        }

        if (unitSeconds < 1 || unitSeconds > maxShiftDays * 86400L)
        {
            throw new CliUsageException($"--shift-unit-seconds must be between 1 and the maximum shift ({maxShiftDays * 86400L} s); got {unitSeconds}.");
        }

        if (bucketSeconds is < 0 or > 86400)
        {
            throw new CliUsageException($"--bucket-seconds must be between 0 (none) and 86400; got {bucketSeconds}.");
        }

        return new TimeRandomization
        {
            MaxShift = TimeSpan.FromDays(maxShiftDays),
            ShiftUnit = TimeSpan.FromSeconds(unitSeconds),
            Bucket = bucketSeconds == 0 ? null : TimeSpan.FromSeconds(bucketSeconds),
        };
    }

    private static Command Recipients(CliContext context)
    {
        var command = new Command("recipients", "Recipients of research data sets, registered by the organization (Art. 9)");

        var data = new Option<string>("--data") { Description = "The organization's data directory", Required = true };
        var name = new Option<string>("--name") { Description = "The recipient's handle (lower-case letters, digits, hyphens)", Required = true };
        var organization = new Option<string>("--organization") { Description = "The receiving organization or research group", Required = true };
        var contact = new Option<string>("--contact") { Description = "A contact for the recipient", DefaultValueFactory = _ => string.Empty };
        var addJson = CliOutput.JsonOption();
        var add = new Command("add", "Register a recipient") { data, name, organization, contact, addJson };
        add.SetAction(parse =>
        {
            var file = new ResearchRecipientsFile(parse.GetValue(data)!);
            var recipient = new ResearchRecipient(parse.GetValue(name)!, parse.GetValue(organization)!, parse.GetValue(contact)!);
            file.Save(file.Load().Register(recipient));
            if (parse.GetValue(addJson))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["registered"] = RecipientJson(recipient) });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"registered {recipient}");
            return CliApp.Ok;
        });

        var listData = new Option<string>("--data") { Description = "The organization's data directory", Required = true };
        var listJson = CliOutput.JsonOption();
        var list = new Command("list", "List the registered recipients") { listData, listJson };
        list.SetAction(parse =>
        {
            var all = new ResearchRecipientsFile(parse.GetValue(listData)!).Load().All;
            if (parse.GetValue(listJson))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["recipients"] = new JsonArray([.. all.Select(r => (JsonNode)RecipientJson(r))]) });
                return CliApp.Ok;
            }

            foreach (var recipient in all)
            {
                context.Out.WriteLine(recipient.Contact.Length == 0 ? recipient.ToString() : $"{recipient} <{recipient.Contact}>");
            }

            return CliApp.Ok;
        });

        var removeData = new Option<string>("--data") { Description = "The organization's data directory", Required = true };
        var removeName = new Option<string>("--name") { Description = "The recipient's handle", Required = true };
        var removeJson = CliOutput.JsonOption();
        var remove = new Command("remove", "Remove a recipient; later exports to it are refused") { removeData, removeName, removeJson };
        remove.SetAction(parse =>
        {
            var file = new ResearchRecipientsFile(parse.GetValue(removeData)!);
            file.Save(file.Load().Remove(parse.GetValue(removeName)!));
            if (parse.GetValue(removeJson))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["removed"] = parse.GetValue(removeName) });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"removed {parse.GetValue(removeName)}");
            return CliApp.Ok;
        });

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(remove);
        return command;
    }

    private static JsonObject RecipientJson(ResearchRecipient r) =>
        new() { ["name"] = r.Name, ["organization"] = r.Organization, ["contact"] = r.Contact.Length == 0 ? null : r.Contact };

    /// <summary>A one-line progress bar on stderr, redrawn when the percentage changes.</summary>
    private sealed class ProgressBar(TextWriter error) : IProgress<ResearchExportProgress>
    {
        private const int Width = 30;
        private int _lastPercent = -1;

        public void Report(ResearchExportProgress value)
        {
            var percent = (int)Math.Round((value.Fraction ?? 0) * 100);
            if (percent == _lastPercent)
            {
                return;
            }

            _lastPercent = percent;
            var filled = percent * Width / 100;
            error.Write($"\rexporting [{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}% {value.Rows.ToString(CultureInfo.InvariantCulture)} rows");
        }

        public void Finish() => error.WriteLine();
    }
}
