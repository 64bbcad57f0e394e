using System.CommandLine;
using System.Globalization;
using System.Text;
using Nii.Socs.Core.Inspection;
using Nii.Socs.Core.Storage.Inspection;
using Nii.Socs.Host.Inspection;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs inspect --data DIR --year YYYY [--out DIR2|FILE.html|FILE.json] [--json] [--destruction-grace-minutes M] [--deletion-grace-hours H]</c>: the yearly inspection report (R13.1).</summary>
/// <remarks>Writes the report as JSON and HTML: into a directory as <c>report.json</c> and <c>report.html</c>, or,
/// when <c>--out</c> names a <c>.html</c> or <c>.json</c> file, to that file and its sibling with the other
/// extension. Exits 0 without findings, 1 with findings, 2 on bad input.</remarks>
internal static class InspectCommands
{
    public const string JsonName = "report.json";
    public const string HtmlName = "report.html";

    public static Command Create(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The data directory", Required = true };
        var year = new Option<int>("--year") { Description = "The calendar year to inspect, counted in JST", Required = true };
        var output = new Option<string?>("--out") { Description = "A directory for report.json and report.html (default: the current directory), or a FILE.html / FILE.json written with its sibling of the other kind" };
        var json = new Option<bool>("--json") { Description = "Print report.json on standard output instead of the summary" };
        var destructionGrace = new Option<int>("--destruction-grace-minutes")
        {
            Description = "Time allowed from an epoch's end to its key's destruction (R8.4)",
            DefaultValueFactory = _ => (int)InspectionSettings.DefaultDestructionGrace.TotalMinutes,
        };
        var deletionGrace = new Option<int>("--deletion-grace-hours")
        {
            Description = "Time allowed from a partition's expiry to its deletion (R7.3)",
            DefaultValueFactory = _ => (int)InspectionSettings.DefaultDeletionGrace.TotalHours,
        };
        var command = new Command("inspect", "The yearly inspection report: retention, keys, consent, history, monitoring, mail, participants (R13.1)")
        {
            data, year, output, json, destructionGrace, deletionGrace,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(data);
            if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(dir))
            {
                throw new CliUsageException($"--data must be an existing data directory; got '{dir}'.");
            }

            var y = parse.GetValue(year);
            if (y is < 1955 or > 2099)
            {
                throw new CliUsageException($"--year must be between 1955 and 2099; got {y}.");
            }

            var (jsonPath, htmlPath) = OutputPaths(parse.GetValue(output));

            var minutes = parse.GetValue(destructionGrace);
            var hours = parse.GetValue(deletionGrace);
            if (minutes is < 0 or > 10_080 || hours is < 0 or > 744)
            {
                throw new CliUsageException($"--destruction-grace-minutes must be 0–10080 and --deletion-grace-hours 0–744; got {minutes} and {hours}.");
            }

            var settings = new InspectionSettings(y) { DestructionGrace = TimeSpan.FromMinutes(minutes), DeletionGrace = TimeSpan.FromHours(hours), Calendar = ProcedureCommands.ConfiguredCalendar(), DefaultRetention = ProcedureCommands.ConfiguredRetention() };
            var storage = Configuration.StorageOptions.FromConfiguration();
            storage.ThrowIfInvalid();
            Core.Inspection.InspectionReport report;
            if (storage.Provider == Configuration.StorageProvider.PostgreSql)
            {
                // The consent log, history, registry, detections and wrapped keys are the cluster's (docs/scale-out.md).
                using var cluster = Pipeline.ClusterStores.Open(storage, context.Time);
                report = Inspection.ClusterInspection.RunAsync(cluster, settings, context.Time.GetUtcNow()).GetAwaiter().GetResult();
            }
            else
            {
                var witness = Configuration.AuditOptions.FromConfiguration().WitnessFor(dir);
                report = StoredInspection.Run(dir, settings, context.Time.GetUtcNow(), witnessDirectory: witness is not null && Directory.Exists(witness) ? witness : null);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
            var text = InspectionJson.Serialize(report);
            File.WriteAllText(jsonPath, text + "\n", new UTF8Encoding(false));
            File.WriteAllText(htmlPath, InspectionHtml.Render(report), new UTF8Encoding(false));
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(text);
            }
            else
            {
                Summarise(context.Out, report, jsonPath, htmlPath);
            }

            return report.Clean ? CliApp.Ok : CliApp.Problem;
        });
        return command.Uses(DataUse.ReadOnly);
    }

    /// <summary>Where the two files go: <c>FILE.html</c>/<c>FILE.json</c> name one and its sibling; anything else is a directory.</summary>
    internal static (string Json, string Html) OutputPaths(string? output)
    {
        if (output is not null && (output.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || output.EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
        {
            if (Directory.Exists(output))
            {
                throw new CliUsageException($"--out '{output}' is a directory, but its name asks for a file; remove it or name another file.");
            }

            return (Path.ChangeExtension(output, ".json"), Path.ChangeExtension(output, ".html"));
        }

        var dir = output ?? Directory.GetCurrentDirectory();
        if (File.Exists(dir))
        {
            throw new CliUsageException($"--out must be a directory or a FILE.html / FILE.json; '{dir}' is another file.");
        }

        return (Path.Combine(dir, JsonName), Path.Combine(dir, HtmlName));
    }

    private static void Summarise(TextWriter output, InspectionReport report, string jsonPath, string htmlPath)
    {
        var h = report.History;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inspection {report.Year}, state as of {CliParse.Iso(report.AsOf)}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"history: {h.Verification}; {h.EntriesInYear} of {h.Entries} entries in the year; nothing removed: {(h.NothingRemoved ? "yes" : "no")}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retention: {report.Retention.Participants.Sum(p => p.Partitions)} partition(s) stored, {report.Retention.DeletionsInYear} deleted in the year ({report.Retention.LateDeletions} late)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"keys: {report.Keys.Participants.Sum(p => p.EpochsCreated)} epoch(s) created, {report.Keys.Participants.Sum(p => p.Destroyed)} destroyed, {report.Keys.Warnings.Count} warning(s)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consent: {report.Consent.Approved} approved, {report.Consent.Denied} denied, {report.Consent.Expired} expired; {report.Consent.ViewsCovered}/{report.Consent.Views} view(s) covered; {report.Consent.FaultAccesses.Count} fault access(es)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"findings: {report.Findings.Count}"));
        foreach (var f in report.Findings)
        {
            var evidence = string.Join(", ", f.HistoryEntries.Select(s => "#" + s.ToString(CultureInfo.InvariantCulture)).Concat(f.OtherEvidence));
            output.WriteLine($"  {f.Requirement} {f.Code}: {f.Message} [{evidence}]");
        }

        output.WriteLine($"wrote {jsonPath} and {htmlPath}");
    }
}
