using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs detections list</c>: the stored detections' ids and headers, newest first, so staff can name a record
/// to <c>consent view --record ID</c> or <c>consent request</c> without the portal (R4.7).</summary>
/// <remarks>Reads header fields only; no content is opened and nothing is recorded in the history.</remarks>
internal static class DetectionsCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("detections", "Stored detections: ids and header fields (R4.7)");
        command.Subcommands.Add(List(context).Uses(DataUse.ReadOnly));
        return command;
    }

    private static Command List(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string?>("--participant") { Description = "Only this participant's detections (default: every participant)" };
        var from = new Option<string?>("--from") { Description = "First observation instant, inclusive (ISO 8601 with offset; default: the oldest stored)" };
        var to = new Option<string?>("--to") { Description = "End instant, exclusive (ISO 8601 with offset; default: after the newest stored)" };
        var sid = new Option<long?>("--sid") { Description = "Only detections of this rule" };
        var limit = new Option<int>("--limit") { Description = "At most this many, newest first (1–10000)", DefaultValueFactory = _ => 50 };
        var json = CliOutput.JsonOption();
        var command = new Command("list", "Detections newest first: id, time (JST), addresses, ports, rule; header fields only") { data, participant, from, to, sid, limit, json };
        command.SetAction(parse =>
        {
            var dir = CliParse.ExistingDataDirectory(parse.GetValue(data));
            var max = parse.GetValue(limit);
            if (max is < 1 or > DetectionQuery.MaxLimit)
            {
                throw new CliUsageException($"--limit must be between 1 and {DetectionQuery.MaxLimit}; got {max}.");
            }

            ParticipantId? only = null;
            if (parse.GetValue(participant) is { } p)
            {
                only = ParticipantId.IsValid(p) ? new ParticipantId(p) : throw new CliUsageException($"--participant must be a participant id such as u-tokyo; got '{p}'.");
            }

            var start = parse.GetValue(from) is { } f ? CliParse.Instant("--from", f) : (DateTimeOffset?)null;
            var end = parse.GetValue(to) is { } t ? CliParse.Instant("--to", t) : (DateTimeOffset?)null;
            if (start is { } s0 && end is { } e0 && e0 <= s0)
            {
                throw new CliUsageException($"--to must be after --from; got {CliParse.Iso(s0)} to {CliParse.Iso(e0)}.");
            }

            using var view = StoreView.Open(dir, context.Time);
            var store = view.Detections();
            var partitions = store.Partitions();
            if (only is { } o && partitions.All(x => x.Participant != o))
            {
                throw new CliUsageException($"--participant: no detections are stored for {o}.");
            }

            var found = new List<DetectionRecord>();
            var more = false;
            foreach (var group in partitions.GroupBy(x => x.Participant).Where(g => only is null || g.Key == only))
            {
                var query = new DetectionQuery
                {
                    Participant = group.Key,
                    // Partitions are acquisition months; an observation (a sensor's clock) may lie outside them.
                    From = start ?? DateTimeOffset.MinValue,
                    To = end ?? DateTimeOffset.MaxValue,
                    RuleSid = parse.GetValue(sid),
                    Limit = max,
                };
                var page = store.QueryAsync(query).GetAwaiter().GetResult();
                found.AddRange(page.Records);
                more |= page.Next is not null;
            }

            var ordered = found.OrderByDescending(r => r.Header.ObservedAt).ThenByDescending(r => r.Id.Value).ToList();
            more |= ordered.Count > max;
            var shown = ordered.Take(max).ToList();
            Print(context.Out, shown, more, parse.GetValue(json));
            return CliApp.Ok;
        });
        return command;
    }

    private static void Print(TextWriter output, List<DetectionRecord> records, bool more, bool json)
    {
        if (json)
        {
            CliOutput.WriteJson(output, new JsonObject
            {
                ["detections"] = new JsonArray([.. records.Select(r => (JsonNode)new JsonObject
                {
                    ["id"] = r.Id.ToString(),
                    ["participant"] = r.Participant.Value,
                    ["observed"] = CliOutput.Json(r.Header.ObservedAt),
                    ["acquired"] = CliOutput.Json(r.AcquiredAt),
                    ["observation_skewed"] = r.ObservationSkewed,
                    ["src"] = r.Header.Source.ToString(),
                    ["sport"] = r.Header.SourcePort,
                    ["dst"] = r.Header.Destination.ToString(),
                    ["dport"] = r.Header.DestinationPort,
                    ["proto"] = MailComposer.ProtocolName(r.Header.Protocol).ToLowerInvariant(),
                    ["sid"] = r.Rule.Sid,
                    ["rev"] = r.Rule.Rev,
                    ["priority"] = r.Rule.Priority,
                    ["classtype"] = r.Rule.ClassType,
                    ["msg"] = r.Rule.Message,
                    ["content_bytes"] = r.Header.ContentLength,
                })]),
                ["more"] = more,
            });
            return;
        }

        CliOutput.WriteTable(
            output,
            ["id", "participant", "observed (JST)", "src", "sport", "dst", "dport", "proto", "sid", "prio", "msg"],
            records.Select(r => (IReadOnlyList<string>)[
                r.Id.ToString(), r.Participant.Value, CliParse.Iso(r.Header.ObservedAt) + (r.ObservationSkewed ? " !" : string.Empty),
                r.Header.Source.ToString(), Port(r.Header.SourcePort), r.Header.Destination.ToString(), Port(r.Header.DestinationPort),
                MailComposer.ProtocolName(r.Header.Protocol).ToLowerInvariant(), N(r.Rule.Sid), N(r.Rule.Priority), r.Rule.Message]),
            new HashSet<int> { 4, 6, 8, 9 });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{records.Count} detection(s){(more ? "; more match: narrow --from/--to or raise --limit" : string.Empty)}"));
        if (records.Any(r => r.ObservationSkewed))
        {
            output.WriteLine("! observed far from its acquisition (more than 24 h ahead or 92 days behind: a sensor's clock); retention counts from acquisition (R7.3)");
        }
    }

    private static string Port(ushort? port) => port?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
