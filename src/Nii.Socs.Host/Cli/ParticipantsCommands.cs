using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs participants …</c>: applications, usage period and termination (R3, R11, R12).</summary>
internal static class ParticipantsCommands
{

    public static Command Create(CliContext context)
    {
        var command = new Command("participants", "Participants: applications, usage period, termination (R3, R11, R12)");
        command.Subcommands.Add(Period(context));
        command.Subcommands.Add(TerminationCommand(context));
        command.Subcommands.Add(Validate(context).Uses(DataUse.ReadOnly));
        foreach (var verb in ProcedureCommands.ParticipantVerbs(context))
        {
            command.Subcommands.Add(verb);
        }

        return command;
    }

    private static Command Period(CliContext context)
    {
        var approved = new Option<string>("--approved") { Description = "The approval date, yyyy-MM-dd", Required = true };
        var renewals = new Option<int>("--renewals") { Description = "Automatic extensions to the next fiscal year (R11.2)", DefaultValueFactory = _ => 0 };
        var json = CliOutput.JsonOption();
        var command = new Command("period", "The usage period after approval (R11): first..last") { approved, renewals, json };
        command.SetAction(parse =>
        {
            var on = CliParse.Date("--approved", parse.GetValue(approved));
            var k = parse.GetValue(renewals);
            if (k is < 0 or > 1000 || on.Year + k > 9990)
            {
                throw new CliUsageException($"--renewals must be between 0 and 1000; got {k}.");
            }

            var period = UsagePeriod.FromApproval(on, k);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["approved"] = CliParse.Iso(on), ["renewals"] = k, ["first"] = CliParse.Iso(period.First), ["last"] = CliParse.Iso(period.Last) });
            }
            else
            {
                context.Out.WriteLine(period.ToString());
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command TerminationCommand(CliContext context)
    {
        var notice = new Option<string>("--notice-date") { Description = "The date written on the termination notice, yyyy-MM-dd", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("termination", "The first day a termination is in effect (R12.1)") { notice, json };
        command.SetAction(parse =>
        {
            var date = CliParse.Date("--notice-date", parse.GetValue(notice));
            if (date == DateOnly.MaxValue)
            {
                throw new CliUsageException("--notice-date is the last representable date.");
            }

            var effective = Termination.EffectiveFrom(date);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["notice_date"] = CliParse.Iso(date), ["effective_from"] = CliParse.Iso(effective) });
            }
            else
            {
                context.Out.WriteLine(CliParse.Iso(effective));
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command Validate(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "The application as JSON: institutionName, prefixes, contactMails, operators" };
        var json = CliOutput.JsonOption("Print JSON: the institution and its prefixes (errors still go to stderr, exit 2)");
        var data = new Option<string?>("--data") { Description = "Check overlap against the registry of this data directory (default: against no one)" };
        var command = new Command("validate", "Validates an application (R3) and prints every error with its field") { file, data, json };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            Application? application;
            try
            {
                application = JsonSerializer.Deserialize<Application>(File.ReadAllText(path), ProcedureCommands.FileJson);
            }
            catch (JsonException ex)
            {
                throw new CliUsageException($"{path} is not a JSON application: {ex.Message}");
            }

            if (application is null)
            {
                throw new CliUsageException($"{path} holds no application.");
            }

            IReadOnlyDictionary<ParticipantId, IReadOnlyList<Core.Scope.IPPrefix>> others = new Dictionary<ParticipantId, IReadOnlyList<Core.Scope.IPPrefix>>();
            using var view = parse.GetValue(data) is { } dir ? StoreView.Open(CliParse.ExistingDataDirectory(dir), context.Time) : null;
            if (view is { HasRegistry: true })
            {
                var self = ParticipantId.IsValid(application.Participant) ? new ParticipantId(application.Participant!) : (ParticipantId?)null;
                others = Core.Participants.Procedures.ParticipantProcedures.PrefixesHeldBy(view.Registry.State, self, context.Time.GetUtcNow());
            }

            var result = ApplicationValidator.Validate(application, others);
            if (!result.IsValid)
            {
                foreach (var error in result.Errors)
                {
                    context.Error.WriteLine($"{path}: {error}");
                }

                return CliApp.BadInput;
            }

            var valid = result.Application!;
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["ok"] = true, ["institution"] = valid.InstitutionName, ["prefixes"] = CliOutput.Strings(valid.Prefixes.Select(p => p.ToString())) });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"ok\t{valid.InstitutionName}");
            foreach (var prefix in valid.Prefixes)
            {
                context.Out.WriteLine($"prefix\t{prefix}");
            }

            return CliApp.Ok;
        });
        return command;
    }
}
