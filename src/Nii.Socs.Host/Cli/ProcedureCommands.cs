using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Participants.Procedures;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Cli;

/// <summary>The staff side of the participant procedures (R3, R5.2, R7.3, R10.2, R11, R12): each verb validates, appends
/// registry events, records the operation history and mails the participant's contacts.</summary>
/// <remarks>Every verb here changes state. On bad input it exits 2 with one line naming every error with its field,
/// and changes nothing.</remarks>
internal static class ProcedureCommands
{
    /// <summary>How every procedure file (APPLICATION.json and the others) is read, by <c>apply</c>, <c>validate</c> and
    /// the portal alike: names in any case, comments and trailing commas allowed.</summary>
    internal static readonly JsonSerializerOptions FileJson = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The verbs under <c>socs participants</c>.</summary>
    public static IEnumerable<Command> ParticipantVerbs(CliContext context)
    {
        yield return Apply(context).Uses(DataUse.Served);
        yield return Approve(context).Uses(DataUse.Served);
        yield return Refuse(context).Uses(DataUse.Served);
        yield return Revoke(context).Uses(DataUse.Served);
        yield return Change(context).Uses(DataUse.Served);
        yield return Terminate(context).Uses(DataUse.Served);
        yield return Extension(context).Uses(DataUse.Served);
        yield return Agreement(context).Uses(DataUse.Served);
        yield return List(context).Uses(DataUse.ReadOnly);
        yield return Show(context).Uses(DataUse.ReadOnly);
    }

    /// <summary><c>socs exclusions start|end</c> (R5.2 by decision).</summary>
    public static Command Exclusions(CliContext context)
    {
        var command = new Command("exclusions", "Exclude monitored prefixes temporarily by decision, and end it (R5.2)");
        command.Subcommands.Add(ExclusionStart(context).Uses(DataUse.Served));
        command.Subcommands.Add(ExclusionEnd(context).Uses(DataUse.Served));
        return command;
    }

    /// <summary>Reads an application file (<c>APPLICATION.json</c>).</summary>
    public static Application ReadApplication(string? path) => ReadJson<Application>(path, "an application");

    private static Command Apply(CliContext context)
    {
        var (data, staff) = Common();
        var file = new Option<string>("--file") { Description = "APPLICATION.json: participant, institutionName, prefixes, contactMails, operators (docs/procedures.md)", Required = true };
        var command = new Command("apply", "File an application (R3.1–R3.3); prints the application id") { data, file, staff };
        command.SetAction(parse =>
        {
            var application = ReadApplication(parse.GetValue(file));
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Apply(state, application, receipt));
        });
        return command;
    }

    private static Command Approve(CliContext context)
    {
        var (data, staff) = Common();
        var application = new Option<string>("--application") { Description = "The application id, such as app-0001", Required = true };
        var on = new Option<string?>("--on") { Description = "The approval date yyyy-MM-dd (default: the JST date it is processed, R10.2)" };
        var command = new Command("approve", "Approve an application: the usage period runs to the fiscal-year end (R11.1)") { data, application, on, staff };
        command.SetAction(parse =>
        {
            var date = parse.GetValue(on) is { } text ? CliParse.Date("--on", text) : (DateOnly?)null;
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Approve(state, parse.GetValue(application), date, receipt));
        });
        return command;
    }

    private static Command Refuse(CliContext context)
    {
        var (data, staff) = Common();
        var application = new Option<string>("--application") { Description = "The application id", Required = true };
        var (reason, note) = Grounds();
        var command = new Command("refuse", "Refuse an application with one of the six reasons of R12.2") { data, application, reason, note, staff };
        command.SetAction(parse =>
            Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Refuse(state, parse.GetValue(application), parse.GetValue(reason), parse.GetValue(note), receipt)));
        return command;
    }

    private static Command Revoke(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var (reason, note) = Grounds();
        var on = new Option<string?>("--on") { Description = "The first day in effect yyyy-MM-dd (default: the JST date it is processed)" };
        var command = new Command("revoke", "Revoke an approval with one of the six reasons of R12.2") { data, participant, reason, note, on, staff };
        command.SetAction(parse =>
        {
            var date = parse.GetValue(on) is { } text ? CliParse.Date("--on", text) : (DateOnly?)null;
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Revoke(state, parse.GetValue(participant), parse.GetValue(reason), parse.GetValue(note), date, receipt));
        });
        return command;
    }

    private static Command Change(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var file = new Option<string>("--file") { Description = "CHANGE.json: any of prefixes, contactMails, operators (docs/procedures.md)", Required = true };
        var command = new Command("change", "Change a participant's prefixes, contacts or operators, re-validated (R3.1–R3.3, R10.2)") { data, participant, file, staff };
        command.SetAction(parse =>
        {
            var change = ReadJson<ParticipantChange>(parse.GetValue(file), "a change");
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Change(state, parse.GetValue(participant), change, receipt));
        });
        return command;
    }

    private static Command Terminate(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var notice = new Option<string>("--notice-date") { Description = "The date written on the termination notice, yyyy-MM-dd", Required = true };
        var command = new Command("terminate", "File a termination notice: use ends from the next day (R12.1)") { data, participant, notice, staff };
        command.SetAction(parse =>
        {
            var date = CliParse.Date("--notice-date", parse.GetValue(notice));
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Terminate(state, parse.GetValue(participant), date, receipt));
        });
        return command;
    }

    private static Command Extension(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var decline = new Option<bool>("--decline") { Description = "Do not extend past the current fiscal year (R11.2)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why continuation is not appropriate", Required = true };
        var command = new Command("extension", "Decide not to extend a participant's use at the fiscal-year end (R11.2)") { data, participant, decline, reason, staff };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(decline))
            {
                throw new CliUsageException("--decline is the only decision: extension is automatic otherwise (R11.2).");
            }

            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.DeclineExtension(state, parse.GetValue(participant), parse.GetValue(reason), receipt));
        });
        return command;
    }

    private static Command Agreement(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var months = new Option<int>("--months") { Description = "Months kept after the acquisition month (R7.3)", Required = true };
        var reference = new Option<string>("--reference") { Description = "The reference of the written agreement", Required = true };
        var from = new Option<string?>("--from") { Description = "The first acquisition date it covers, yyyy-MM-dd (default: the JST date it is processed)" };
        var command = new Command("agreement", "Record a retention agreement: the only way a period other than 3 months applies (R7.3)") { data, participant, months, reference, from, staff };
        command.SetAction(parse =>
        {
            var date = parse.GetValue(from) is { } text ? CliParse.Date("--from", text) : (DateOnly?)null;
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.Agree(state, parse.GetValue(participant), parse.GetValue(months), parse.GetValue(reference), date, receipt));
        });
        return command;
    }

    private static Command ExclusionStart(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var prefix = new Option<string[]>("--prefix") { Description = "A prefix to exclude (CIDR), inside the participant's; repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var reason = new Option<string>("--reason") { Description = "Why", Required = true };
        var until = new Option<string?>("--until") { Description = "The planned end (ISO 8601 with offset); open-ended when absent" };
        var command = new Command("start", "Start excluding prefixes from monitoring by decision (R5.2)") { data, participant, prefix, reason, until, staff };
        command.SetAction(parse =>
        {
            var end = parse.GetValue(until) is { } text ? CliParse.Instant("--until", text) : (DateTimeOffset?)null;
            return Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.StartExclusion(state, parse.GetValue(participant), parse.GetValue(prefix) ?? [], parse.GetValue(reason), end, receipt));
        });
        return command;
    }

    private static Command ExclusionEnd(CliContext context)
    {
        var (data, staff) = Common();
        var participant = ParticipantOption();
        var prefix = new Option<string[]>("--prefix") { Description = "The excluded prefixes, as started; repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var reason = new Option<string>("--reason") { Description = "Why it ends", Required = true };
        var command = new Command("end", "End the exclusions in force of exactly these prefixes (R5.2)") { data, participant, prefix, reason, staff };
        command.SetAction(parse =>
            Run(context, parse.GetValue(data), parse.GetValue(staff), (p, state, receipt) => p.EndExclusion(state, parse.GetValue(participant), parse.GetValue(prefix) ?? [], parse.GetValue(reason), receipt)));
        return command;
    }

    private static Command List(CliContext context)
    {
        var data = CliParse.DataOption();
        var at = new Option<string?>("--at") { Description = "Status at this instant (ISO 8601 with offset); default now" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = new Command("list", "Participants and applications with their status at an instant: applied, active, refused, revoked, terminated, expired") { data, at, json };
        command.SetAction(parse =>
        {
            var (state, instant, _) = StateAt(context, parse.GetValue(data), parse.GetValue(at));
            var rows = Rows(state, instant);
            if (parse.GetValue(json))
            {
                WriteJson(context.Out, w =>
                {
                    w.WriteString("at", CliParse.Iso(Jst.ToJst(instant)));
                    w.WriteStartArray("participants");
                    foreach (var r in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("participant", r.Participant);
                        w.WriteString("status", r.Status);
                        w.WriteString("name", r.Name);
                        w.WriteString("application", r.Application);
                        if (r.Period is { } period)
                        {
                            w.WriteString("period", period);
                        }

                        w.WriteString("prefixes", r.Prefixes);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
                return CliApp.Ok;
            }

            context.Out.WriteLine("participant\tstatus\tperiod\tapplication\tname\tprefixes");
            foreach (var r in rows)
            {
                context.Out.WriteLine($"{r.Participant}\t{r.Status}\t{r.Period ?? "-"}\t{r.Application}\t{r.Name}\t{r.Prefixes}");
            }

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows.Count} participant(s) at {CliParse.Iso(Jst.ToJst(instant))}"));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = ParticipantOption();
        var at = new Option<string?>("--at") { Description = "Status at this instant (ISO 8601 with offset); default now" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = new Command("show", "One participant: status, period, details, agreements, exclusions and procedure history") { data, participant, at, json };
        command.SetAction(parse =>
        {
            var (state, instant, events) = StateAt(context, parse.GetValue(data), parse.GetValue(at));
            var who = parse.GetValue(participant);
            var row = Rows(state, instant).FirstOrDefault(r => r.Participant == who)
                ?? throw new CliUsageException($"--participant: no participant or application '{who}' is registered.");
            var id = new ParticipantId(who!);
            state.Participants.TryGetValue(id, out var entry);
            var history = ProcedureHistory.Of(events, id);
            if (parse.GetValue(json))
            {
                WriteJson(context.Out, w =>
                {
                    w.WriteString("participant", row.Participant);
                    w.WriteString("status", row.Status);
                    w.WriteString("name", row.Name);
                    w.WriteString("period", row.Period);
                    w.WriteString("prefixes", row.Prefixes);
                    w.WriteString("contacts", entry is null ? string.Empty : string.Join(",", entry.Contacts));
                    w.WriteStartArray("agreements");
                    foreach (var a in entry?.Agreements ?? [])
                    {
                        w.WriteStringValue(a.ToString());
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("history");
                    foreach (var h in history)
                    {
                        w.WriteStartObject();
                        w.WriteString("at", CliParse.Iso(Jst.ToJst(h.At)));
                        w.WriteString("what", h.What);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
                return CliApp.Ok;
            }

            var o = context.Out;
            o.WriteLine($"participant\t{row.Participant}");
            o.WriteLine($"name\t{row.Name}");
            o.WriteLine($"status\t{row.Status}");
            o.WriteLine($"period\t{row.Period ?? "-"}");
            o.WriteLine($"prefixes\t{row.Prefixes}");
            if (entry is not null)
            {
                o.WriteLine($"contacts\t{string.Join(",", entry.Contacts)}");
                foreach (var op in entry.Operators)
                {
                    o.WriteLine($"operator\t{op.Name}\t{op.Mail}\tcertificate:{(op.IssueCertificate ? "true" : "false")}");
                }

                foreach (var a in entry.Agreements)
                {
                    o.WriteLine($"agreement\t{a}");
                }

                foreach (var x in state.Exclusions.Values.Where(x => x.Prefixes.Any(p => entry.Prefixes.Any(own => own.Overlaps(p)))).OrderBy(x => x.From))
                {
                    o.WriteLine($"exclusion\t{x.Id}\t{string.Join(",", x.Prefixes)}\t{CliParse.Iso(Jst.ToJst(x.From))}\t{((x.EndedAt ?? x.Until) is { } end ? CliParse.Iso(Jst.ToJst(end)) : "open")}\t{x.Reason}");
                }
            }

            foreach (var h in history)
            {
                o.WriteLine($"history\t{CliParse.Iso(Jst.ToJst(h.At))}\t{h.What}");
            }

            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>One row of <c>participants list</c>.</summary>
    internal sealed record StatusRow(string Participant, string Status, string Name, string Application, string? Period, string Prefixes);

    /// <summary>Every participant id of the registry with its status at an instant: a participant's lifecycle, or its latest application's.</summary>
    internal static List<StatusRow> Rows(RegistryState state, DateTimeOffset at)
    {
        var date = Jst.DateOf(at);
        var rows = new List<StatusRow>();
        foreach (var group in state.Applications.Values.GroupBy(a => a.Participant).OrderBy(g => g.Key.Value, StringComparer.Ordinal))
        {
            var latest = group.OrderBy(a => a.SubmittedAt).ThenBy(a => a.Id, StringComparer.Ordinal).Last();
            if (state.Participants.TryGetValue(group.Key, out var p))
            {
                var status = p.StatusOn(date);
                var ended = ParticipantProcedures.IsEnded(status);
                if (ended && latest.Status == ApplicationStatus.Pending)
                {
                    rows.Add(new StatusRow(group.Key.Value, "applied", latest.Name, latest.Id, null, string.Join(",", latest.Prefixes)));
                    continue;
                }

                var approvedApp = group.Where(a => a.Status == ApplicationStatus.Approved).OrderBy(a => a.DecidedAt).LastOrDefault();
                rows.Add(new StatusRow(group.Key.Value, status.ToString().ToLowerInvariant(), p.Name, approvedApp?.Id ?? latest.Id, p.Lifecycle.PeriodOn(date)?.ToString() ?? (p.Lifecycle.ApprovedOn is { } on ? UsagePeriod.FromApproval(on).ToString() : null), string.Join(",", p.Prefixes)));
            }
            else
            {
                rows.Add(new StatusRow(group.Key.Value, latest.Status == ApplicationStatus.Refused ? "refused" : "applied", latest.Name, latest.Id, null, string.Join(",", latest.Prefixes)));
            }
        }

        return rows;
    }

    private static (RegistryState State, DateTimeOffset At, IReadOnlyList<RegistryEvent> Events) StateAt(CliContext context, string? data, string? at)
    {
        var dir = CliParse.ExistingDataDirectory(data);
        var instant = at is { } text ? CliParse.Instant("--at", text) : context.Time.GetUtcNow();
        using var view = StoreView.Open(dir, context.Time);
        var events = view.Registry.Events().Where(e => e.At <= instant).ToList();
        return (RegistryState.Fold(events), instant, events);
    }

    private delegate ProcedureOutcome Decide(ParticipantProcedures procedures, RegistryState state, ProcedureReceipt receipt);

    /// <summary>Decides, then appends, records and mails: nothing is written unless the procedure is accepted.</summary>
    private static int Run(CliContext context, string? data, string? staff, Decide decide)
    {
        var dir = CliParse.ExistingDataDirectory(data);
        if (string.IsNullOrWhiteSpace(staff) || staff.Any(char.IsControl))
        {
            throw new CliUsageException($"--staff must name the staff member; got '{staff}'.");
        }

        // Inside `socs serve` (admin channel) the service's stores and notifier do it; otherwise the verb's own, under the lock.
        using var lease = DataAccess.Open(context, dir);
        using var host = lease.Services?.GetService<Notifier>() is null ? BuildHost(lease, context.Time) : null;
        var services = (host?.Services ?? lease.Services)!;
        var calendar = services.GetRequiredService<IOptions<ServiceHoursOptions>>().Value.ToCalendar();
        var procedures = new ParticipantProcedures(calendar);
        var outcome = decide(procedures, lease.Data.Registry.State, new ProcedureReceipt(staff, context.Time.GetUtcNow()));
        if (!outcome.IsAccepted)
        {
            throw new CliUsageException(outcome.ErrorLine());
        }

        var (mail, sent) = Record(lease.Data.Registry, lease.Data.History, services.GetRequiredService<Notifier>(), outcome, staff).GetAwaiter().GetResult();
        var o = context.Out;
        o.WriteLine($"ok\t{outcome.Action}\t{outcome.Participant}");
        if (outcome.RecordId is { } id)
        {
            o.WriteLine($"id\t{id}");
        }

        o.WriteLine($"received\t{CliParse.Iso(Jst.ToJst(outcome.ReceivedAt))}{(outcome.OutsideServiceHours ? "\toutside service hours" : string.Empty)}");
        o.WriteLine($"processed_from\t{CliParse.Iso(Jst.ToJst(outcome.ProcessedFrom))}");
        o.WriteLine(mail is null ? "mail\tnone (no contact address)" : string.Create(CultureInfo.InvariantCulture, $"mail\t#{mail.Id} to {string.Join(",", mail.To)} ({(sent > 0 ? "sent" : "queued")})"));
        return CliApp.Ok;
    }

    /// <summary>Appends the events, records the history entry and queues (and tries to send) the mail of an accepted procedure.</summary>
    internal static async Task<(Core.Notifications.OutboundMail? Mail, int Sent)> Record(IRegistryStore registry, IOperationHistory history, Notifier notifier, ProcedureOutcome outcome, string staff)
    {
        await registry.AppendAsync(outcome.Events);
        await history.AppendAsync($"org:{staff}", outcome.Action, outcome.Subject, outcome.Details);
        var mail = await notifier.ProcedureAsync(outcome.Participant!.Value, outcome.NotifyTo, outcome.Notice!);
        var report = mail is null ? default : await notifier.SendDueAsync();
        return (mail, report.Sent);
    }

    /// <summary>A host with the options and a notifier on the verb's own stores (as <c>mail follow-up</c> builds).</summary>
    internal static IHost BuildHost(DataLease lease, TimeProvider time)
    {
        var dataDirectory = lease.Data.Directory;
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .AddInMemoryCollection([new($"{DataOptions.SectionName}:Directory", dataDirectory)]);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        builder.Services.AddSocsOptions();
        builder.Services.AddSingleton<IOperationHistory>(lease.Data.History);
        builder.Services.AddSingleton(lease.Data.Registry);
        if (lease.Data.Cluster is { } cluster)
        {
            // The mail state is on the cluster with the other stores (not disposed by this host).
            builder.Services.AddSingleton<IMailOutbox>(cluster.Outbox);
        }

        builder.Services.AddSocsMail();
        var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<MailOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<ServiceHoursOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            host.Dispose();
            throw new CliUsageException(string.Join("; ", ex.Failures));
        }

        return host;
    }

    /// <summary>The one service calendar (R10) from <c>Socs:ServiceHours:*</c> of <c>appsettings.json</c> and <c>SOCS_</c>
    /// environment variables, validated like the host's options; for verbs that do not build a host.</summary>
    internal static ServiceCalendar ConfiguredCalendar()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .Build();
        var options = new ServiceHoursOptions();
        configuration.GetSection(ServiceHoursOptions.SectionName).Bind(options);
        var result = new ServiceHoursOptionsValidator().Validate(null, options);
        return result.Failed ? throw new CliUsageException(result.FailureMessage) : options.ToCalendar();
    }

    /// <summary>The retention without an agreement (R7.3) from <c>Socs:Retention:Months</c>, validated like the host's
    /// option, so that every verb uses the schedule <c>serve</c> uses.</summary>
    internal static RetentionPolicy ConfiguredRetention()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("SOCS_")
            .Build();
        var options = new RetentionOptions();
        configuration.GetSection(RetentionOptions.SectionName).Bind(options);
        var result = new RetentionOptionsValidator().Validate(null, options);
        return result.Failed ? throw new CliUsageException(result.FailureMessage) : options.ToPolicy();
    }

    private static (Option<string> Data, Option<string> Staff) Common() =>
        (CliParse.DataOption(), new Option<string>("--staff") { Description = "The staff member filing it, recorded as org:NAME", DefaultValueFactory = _ => "registrar" });

    private static Option<string> ParticipantOption() => new("--participant") { Description = "The participant id, such as u-tokyo", Required = true };

    private static (Option<int?> Reason, Option<string> Note) Grounds() =>
        (new Option<int?>("--reason") { Description = "The reason's item of R12.2, 1 to 6" },
         new Option<string>("--note") { Description = "What the decision says about the reason" });

    private static T ReadJson<T>(string? path, string what)
        where T : class
    {
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            throw new CliUsageException($"--file must be an existing JSON file; got '{path}'.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), FileJson) ?? throw new CliUsageException($"{path} holds no {what}.");
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"{path} is not {what} as JSON: {ex.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static void WriteJson(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
