using System.CommandLine;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs retention …</c>: the R7.3 arithmetic and the sweeper.</summary>
internal static class RetentionCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("retention", "Retention of detection information (R7.3)");
        command.Subcommands.Add(Expiry(context));
        command.Subcommands.Add(StoreCommands.Sweep(context));
        return command;
    }

    private static Command Expiry(CliContext context)
    {
        var acquired = new Option<string>("--acquired") { Description = "When the record was acquired (ISO 8601 with offset)", Required = true };
        var months = new Option<int>("--months") { Description = "Months kept after the acquisition month (R7.3 default 3)", DefaultValueFactory = _ => RetentionPolicy.Default.Months };
        var json = CliOutput.JsonOption();
        var command = new Command("expiry", "The instant from which a record must be gone (R7.3)") { acquired, months, json };
        command.SetAction(parse =>
        {
            var at = CliParse.Instant("--acquired", parse.GetValue(acquired));
            var n = parse.GetValue(months);
            if (n is < 0 or > RetentionPolicy.MaxMonths)
            {
                throw new CliUsageException($"--months must be between 0 and {RetentionPolicy.MaxMonths}; got {n}.");
            }

            var expiry = new RetentionPolicy(n).ExpiryOf(at);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["acquired"] = CliOutput.Json(at), ["months"] = n, ["expiry"] = CliOutput.Json(expiry) });
            }
            else
            {
                context.Out.WriteLine(CliParse.Iso(Jst.ToJst(expiry)));
            }

            return CliApp.Ok;
        });
        return command;
    }
}
