using System.CommandLine;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs calendar …</c>: Japanese holidays and service hours (R10).</summary>
internal static class CalendarCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("calendar", "The JST calendar: holidays and service hours (R10)");
        command.Subcommands.Add(Holidays(context));
        command.Subcommands.Add(ServiceWindowCommand(context));
        return command;
    }

    private static Command Holidays(CliContext context)
    {
        var from = new Option<string>("--from") { Description = "First date, yyyy-MM-dd", Required = true };
        var to = new Option<string>("--to") { Description = "Last date, yyyy-MM-dd", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("holidays", "Japanese national holidays, one per line: date<TAB>name") { from, to, json };
        command.SetAction(parse =>
        {
            var first = CliParse.Date("--from", parse.GetValue(from));
            var last = CliParse.Date("--to", parse.GetValue(to));
            CheckYear("--from", first);
            CheckYear("--to", last);
            if (last < first)
            {
                throw new CliUsageException($"--to ({CliParse.Iso(last)}) is before --from ({CliParse.Iso(first)}).");
            }

            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["holidays"] = new JsonArray([.. JapaneseHolidays.Between(first, last).Select(h => (JsonNode)new JsonObject { ["date"] = CliParse.Iso(h.Date), ["name"] = h.Name })]),
                });
                return CliApp.Ok;
            }

            foreach (var holiday in JapaneseHolidays.Between(first, last))
            {
                context.Out.WriteLine($"{CliParse.Iso(holiday.Date)}\t{holiday.Name}");
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command ServiceWindowCommand(CliContext context)
    {
        var at = new Option<string>("--at") { Description = "The instant (ISO 8601 with offset); now when omitted" };
        var json = CliOutput.JsonOption();
        var command = new Command("service-window", "Whether an instant is in service hours, and the next service window") { at, json };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(at);
            var instant = text is null ? context.Time.GetUtcNow() : CliParse.Instant("--at", text);
            CheckYear("--at", Jst.DateOf(instant));
            var calendar = ServiceCalendar.Default;
            var inHours = calendar.IsInServiceHours(instant);
            var next = calendar.NextWindowAfter(instant);
            if (parse.GetValue(json))
            {
                var now = inHours ? calendar.WindowAtOrAfter(instant) : (ServiceWindow?)null;
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["at"] = CliOutput.Json(instant),
                    ["in_service_hours"] = inHours,
                    ["current_window"] = now is { } c ? new JsonObject { ["start"] = CliOutput.Json(c.Start), ["end"] = CliOutput.Json(c.End) } : null,
                    ["next_window"] = new JsonObject { ["start"] = CliOutput.Json(next.Start), ["end"] = CliOutput.Json(next.End) },
                });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"at\t{CliParse.Iso(Jst.ToJst(instant))}");
            context.Out.WriteLine($"in_service_hours\t{(inHours ? "yes" : "no")}");
            if (inHours)
            {
                var current = calendar.WindowAtOrAfter(instant);
                context.Out.WriteLine($"current_window\t{CliParse.Iso(current.Start)}\t{CliParse.Iso(current.End)}");
            }

            context.Out.WriteLine($"next_window\t{CliParse.Iso(next.Start)}\t{CliParse.Iso(next.End)}");
            return CliApp.Ok;
        });
        return command;
    }

    private static void CheckYear(string option, DateOnly date)
    {
        if (date.Year is < JapaneseHolidays.FirstYear or >= JapaneseHolidays.LastYear)
        {
            throw new CliUsageException($"{option} must be between {JapaneseHolidays.FirstYear}-01-01 and {JapaneseHolidays.LastYear - 1}-12-31; got {CliParse.Iso(date)}.");
        }
    }
}
