using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs mail …</c>: the outbox's state, and follow-up mails written by staff (R4.5, R4.6).</summary>
internal static class MailCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("mail", "Notification mail: outbox state and follow-ups (R4.5, R4.6)");
        command.Subcommands.Add(Outbox(context).Uses(DataUse.ReadOnly));
        command.Subcommands.Add(FollowUp(context).Uses(DataUse.Served));
        return command;
    }

    private static Command Outbox(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The data directory", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("outbox", "Mails waiting to be sent and detections waiting for a digest (R4.5)") { data, json };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(data);
            if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(dir))
            {
                throw new CliUsageException($"--data must be an existing data directory; got '{dir}'.");
            }

            using var view = StoreView.Open(dir, context.Time);
            var state = view.Outbox.State;
            var o = context.Out;
            var digests = state.Digests.OrderBy(d => d.Key.Value, StringComparer.Ordinal).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(o, new JsonObject
                {
                    ["queued"] = state.LastMailId,
                    ["sent"] = state.SentCount,
                    ["kinds"] = state.Kinds.Count,
                    ["pending"] = new JsonArray([.. state.Pending.Values.Select(p => (JsonNode)new JsonObject
                    {
                        ["mail"] = p.Mail.Id,
                        ["kind"] = p.Mail.Kind.ToString().ToLowerInvariant(),
                        ["participant"] = p.Mail.Participant.Value,
                        ["rows"] = p.Mail.Rows.Length,
                        ["failures"] = p.FailedAttempts,
                        ["next_attempt"] = CliOutput.Json(p.NextAttemptAt),
                        ["last_error"] = p.LastError,
                    })]),
                    ["digests"] = new JsonArray([.. digests.Select(d => (JsonNode)new JsonObject
                    {
                        ["participant"] = d.Key.Value,
                        ["rows"] = d.Value.Rows.Length,
                        ["opened"] = CliOutput.Json(d.Value.OpenedAt),
                    })]),
                });
                return CliApp.Ok;
            }

            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"queued {state.LastMailId}, sent {state.SentCount}, pending {state.Pending.Count}, kinds {state.Kinds.Count}"));
            if (state.Pending.Count > 0)
            {
                o.WriteLine();
                CliOutput.WriteTable(
                    o,
                    ["pending", "kind", "participant", "rows", "failures", "next attempt", "last error"],
                    state.Pending.Values.Select(p => (IReadOnlyList<string>)[
                        string.Create(CultureInfo.InvariantCulture, $"#{p.Mail.Id}"), p.Mail.Kind.ToString().ToLowerInvariant(), p.Mail.Participant.Value,
                        N(p.Mail.Rows.Length), N(p.FailedAttempts), CliParse.Iso(p.NextAttemptAt), p.LastError ?? "-"]),
                    new HashSet<int> { 3, 4 });
            }

            if (digests.Count > 0)
            {
                o.WriteLine();
                CliOutput.WriteTable(
                    o,
                    ["digest", "rows", "opened"],
                    digests.Select(d => (IReadOnlyList<string>)[d.Key.Value, N(d.Value.Rows.Length), CliParse.Iso(d.Value.OpenedAt)]),
                    new HashSet<int> { 1 });
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command FollowUp(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "The data directory", Required = true };
        var participant = new Option<string>("--participant") { Description = "The participant id, such as u-tokyo", Required = true };
        var sid = new Option<long>("--sid") { Description = "The rule's signature id of the attack already notified", Required = true };
        var knowledge = new Option<string>("--knowledge") { Description = "What the organization knows (Japanese, English or both)", Required = true };
        var countermeasures = new Option<string>("--countermeasures") { Description = "General countermeasures", Required = true };
        var staff = new Option<string>("--staff") { Description = "The staff member writing it (recorded in the history)", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("follow-up", "Queue and send a follow-up in the thread of the first notification (R4.6)") { data, participant, sid, knowledge, countermeasures, staff, json };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(data);
            if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(dir))
            {
                throw new CliUsageException($"--data must be an existing data directory; got '{dir}'.");
            }

            var who = parse.GetValue(participant);
            if (!ParticipantId.IsValid(who))
            {
                throw new CliUsageException($"--participant must be a participant id such as u-tokyo; got '{who}'.");
            }

            var texts = new[] { ("--knowledge", parse.GetValue(knowledge)), ("--countermeasures", parse.GetValue(countermeasures)), ("--staff", parse.GetValue(staff)) };
            foreach (var (name, value) in texts)
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new CliUsageException($"{name} must not be empty.");
                }
            }

            // Inside `socs serve` the service's notifier (and outbox) do it; otherwise a notifier on the verb's stores.
            using var lease = DataAccess.Open(context, dir);
            using var host = lease.Services?.GetService<Notifier>() is null ? BuildHost(lease, context.Time) : null;
            var notifier = (host?.Services ?? lease.Services)!.GetRequiredService<Notifier>();
            var text = new FollowUpText(texts[0].Item2!, texts[1].Item2!, texts[2].Item2!);
            var mail = notifier.FollowUpAsync(new ParticipantId(who!), parse.GetValue(sid), text).GetAwaiter().GetResult();
            if (mail is null)
            {
                context.Error.WriteLine($"socs: no mail has carried {who}/{parse.GetValue(sid)} yet, or {who} has no contact address; nothing queued.");
                return CliApp.BadInput;
            }

            var report = notifier.SendDueAsync().GetAwaiter().GetResult();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["queued"] = mail.Id,
                    ["message_id"] = mail.MessageId,
                    ["in_reply_to"] = mail.InReplyTo,
                    ["sent_now"] = report.Sent,
                    ["failed"] = report.Failed,
                    ["via"] = notifier.Destination,
                });
                return CliApp.Ok;
            }

            context.Out.WriteLine($"queued #{mail.Id} <{mail.MessageId}> in reply to <{mail.InReplyTo}>; sent now {report.Sent}, failed {report.Failed} (via {notifier.Destination})");
            return CliApp.Ok;
        });
        return command;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static IHost BuildHost(DataLease lease, TimeProvider time)
    {
        var dataDirectory = lease.Data.Directory;
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddSocsSources(null, [new($"{DataOptions.SectionName}:Directory", dataDirectory)]);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        builder.Services.AddSocsOptions();
        builder.Services.AddSingleton<Core.Audit.IOperationHistory>(lease.Data.History);
        builder.Services.AddSingleton(lease.Data.Registry);
        if (lease.Data.Cluster is { } cluster)
        {
            // The mail state is on the cluster with the other stores (not disposed by this host).
            builder.Services.AddSingleton<Core.Storage.IMailOutbox>(cluster.Outbox);
        }

        builder.Services.AddSocsMail();
        var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<MailOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            host.Dispose();
            throw new CliUsageException(string.Join("; ", ex.Failures));
        }

        return host;
    }
}
