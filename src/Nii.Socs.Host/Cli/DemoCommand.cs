using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs demo</c>: runs what exists of the service on the embedded default configuration.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var set = new Option<string[]>("--set") { Description = "Override a setting, Key=Value (e.g. Socs:Retention:Months=6)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("demo", "Runs the service on the embedded default and prints what it did") { set };
        command.SetAction(parse => Run(context, parse.GetValue(set) ?? []));
        return command;
    }

    internal static IHost BuildHost(string[] overrides)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .AddInMemoryCollection(overrides.Select(ParseOverride));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSocsOptions();
        return builder.Build();
    }

    private static int Run(CliContext context, string[] overrides)
    {
        using var host = BuildHost(overrides);
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

        var retention = host.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.ToPolicy();
        var calendar = host.Services.GetRequiredService<IOptions<ServiceHoursOptions>>().Value.ToCalendar();
        var now = context.Time.GetUtcNow();
        var today = Jst.DateOf(now);
        var o = context.Out;
        o.WriteLine("Nii.Socs demo — the parts of the service that exist so far");
        o.WriteLine($"  now (JST)              {CliParse.Iso(Jst.ToJst(now))}");
        o.WriteLine($"  service hours now      {(calendar.IsInServiceHours(now) ? "yes" : "no")} (R10: {calendar.Opens:HH\\:mm}–{calendar.Closes:HH\\:mm} JST on working days)");
        var next = calendar.NextWindowAfter(now);
        o.WriteLine($"  next service window    {CliParse.Iso(next.Start)} – {CliParse.Iso(next.End)}");
        o.WriteLine($"  retention (R7.3)       {retention}: a record acquired now is gone from {CliParse.Iso(Jst.ToJst(retention.ExpiryOf(now)))}");
        o.WriteLine($"  usage period (R11)     approved today → {UsagePeriod.FromApproval(today)}");
        o.WriteLine($"  termination (R12.1)    notice dated today → in effect from {CliParse.Iso(Termination.EffectiveFrom(today))}");
        var upcoming = JapaneseHolidays.Between(today, today.AddDays(60));
        o.WriteLine($"  holidays, next 60 days {(upcoming.Count == 0 ? "none" : string.Join(", ", upcoming.Select(h => $"{CliParse.Iso(h.Date)} {h.Name}")))}");
        host.StopAsync().GetAwaiter().GetResult();
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

    private static KeyValuePair<string, string?> ParseOverride(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new CliUsageException($"--set takes Key=Value, such as Socs:Retention:Months=6; got '{text}'.");
        }

        return new(text[..eq], text[(eq + 1)..]);
    }
}
