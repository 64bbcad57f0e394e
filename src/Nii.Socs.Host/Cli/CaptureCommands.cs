using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Eve;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs capture …</c>: look into a capture (R2.1) and scan it with rules against a scope (R4.2, R4.3, R5.1, R5.2).</summary>
internal static class CaptureCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("capture", "Captures: header/content split (R2.1), scope (R5.1), detection (R4.2, R4.3)");
        command.Subcommands.Add(Inspect(context));
        command.Subcommands.Add(Scan(context));
        return command;
    }

    private static Command Inspect(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A pcap or pcapng file" };
        var limit = new Option<int?>("--limit") { Description = "Print at most N frames" };
        var json = CliOutput.JsonOption("Print JSON: {\"frames\": [{frame, time_utc, src, dst, proto, sport, dport, header_bytes, content_bytes, note}]}");
        var command = new Command("inspect", "One tab-separated line per frame: frame time_utc src dst proto sport dport header_bytes content_bytes note") { file, limit, json };
        command.SetAction(parse =>
        {
            var max = parse.GetValue(limit);
            if (max is < 1)
            {
                throw new CliUsageException($"--limit must be at least 1; got {max}.");
            }

            using var reader = OpenCapture(parse.GetValue(file)!, out var stream);
            var number = 0L;
            var line = new StringBuilder();
            var frames = parse.GetValue(json) ? new System.Text.Json.Nodes.JsonArray() : null;
            using var progress = CaptureProgress.Start(context, stream.Length, () => stream.Position, () => reader.FramesRead);
            while ((max is null || number < max) && reader.TryReadFrame(out var frame))
            {
                number++;
                var header = Dissector.Dissect(frame.LinkType, frame.Data);
                if (frames is not null)
                {
                    frames.Add(new System.Text.Json.Nodes.JsonObject
                    {
                        ["frame"] = number,
                        ["time_utc"] = Utc(frame.Timestamp),
                        ["src"] = header.SourceAddress?.ToString(),
                        ["dst"] = header.DestinationAddress?.ToString(),
                        ["proto"] = header.IsIP ? header.ProtocolName : null,
                        ["sport"] = header.HasPorts ? header.SourcePort : null,
                        ["dport"] = header.HasPorts ? header.DestinationPort : null,
                        ["header_bytes"] = header.HeaderLength,
                        ["content_bytes"] = frame.CapturedLength - header.HeaderLength,
                        ["note"] = string.IsNullOrEmpty(header.Note) ? null : header.Note,
                    });
                    continue;
                }

                line.Clear();
                line.Append(number).Append('\t')
                    .Append(Utc(frame.Timestamp)).Append('\t')
                    .Append(header.SourceAddress).Append('\t')
                    .Append(header.DestinationAddress).Append('\t')
                    .Append(header.IsIP ? header.ProtocolName : string.Empty).Append('\t')
                    .Append(header.HasPorts ? header.SourcePort.ToString(CultureInfo.InvariantCulture) : string.Empty).Append('\t')
                    .Append(header.HasPorts ? header.DestinationPort.ToString(CultureInfo.InvariantCulture) : string.Empty).Append('\t')
                    .Append(header.HeaderLength).Append('\t')
                    .Append(frame.CapturedLength - header.HeaderLength).Append('\t')
                    .Append(header.Note);
                context.Out.WriteLine(line.ToString());
            }

            if (frames is not null)
            {
                CliOutput.WriteJson(context.Out, new System.Text.Json.Nodes.JsonObject { ["frames"] = frames });
            }

            return EndOf(context, reader);
        });
        return command;
    }

    private static Command Scan(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A pcap or pcapng file, or Suricata EVE JSON" };
        var prefixes = new Option<string>("--prefixes") { Description = "Scope file: 'participant prefix' per line (R5.1)", Required = true };
        var rules = new Option<string>("--rules") { Description = "Rule file (Suricata/Snort subset, docs/capture.md)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var timings = new Option<bool>("--timings") { Description = "Also print on stderr where the time went: start-up, scope, rules, scan, output (wall and process CPU)" };
        var command = new Command("scan", "Detections of a capture or EVE file within a scope, and a summary") { file, prefixes, rules, json, timings };
        command.SetAction(parse =>
        {
            var stages = parse.GetValue(timings) ? new StageClock() : null;
            var scope = LoadScope(parse.GetValue(prefixes)!);
            stages?.Lap($"scope ({scope.Count} prefixes)");
            var ruleFile = parse.GetValue(rules)!;
            if (!File.Exists(ruleFile))
            {
                throw new CliUsageException($"--rules: '{ruleFile}' does not exist.");
            }

            RuleSet ruleSet;
            try
            {
                ruleSet = RuleSet.Load(ruleFile, RuleVariables.ForScope(scope));
            }
            catch (InvalidDataException ex)
            {
                // Beyond the parser's bounds (size, nesting): the file is refused whole.
                throw new CliUsageException($"--rules: {ex.Message}");
            }

            foreach (var error in ruleSet.Errors)
            {
                context.Error.WriteLine($"socs: rule skipped: {error}");
            }

            stages?.Lap($"rules ({ruleSet.Rules.Count} rules)");
            var path = parse.GetValue(file)!;
            var pipeline = new CapturePipeline(scope, ruleSet, new LoadGovernorOptions(), context.Time);
            var detections = new List<CaptureDetection>();
            CaptureSummary summary;
            if (IsEve(path))
            {
                using var text = new StreamReader(path);
                var eve = new EveReader(text);
                using (CaptureProgress.Start(context, text.BaseStream.Length, () => text.BaseStream.Position, () => eve.LineNumber))
                {
                    summary = pipeline.RunEve(eve, detections.Add);
                }

                foreach (var (line, reason) in eve.Errors)
                {
                    context.Error.WriteLine($"socs: {path}:{line}: {reason}");
                }
            }
            else
            {
                using var reader = OpenCapture(path, out var stream);
                using (CaptureProgress.Start(context, stream.Length, () => stream.Position, () => reader.FramesRead))
                {
                    summary = pipeline.RunAsync(reader, detections.Add).GetAwaiter().GetResult();
                }
            }

            stages?.Lap($"scan ({summary.FramesRead} frames, {summary.InScope} in scope, {summary.DetectionWorkers} detection workers)");
            if (parse.GetValue(json))
            {
                WriteJson(context.Out, detections, summary, ruleSet);
            }
            else
            {
                WriteText(context.Out, detections, summary);
            }

            if (stages is not null)
            {
                context.Out.Flush();
                stages.Lap("output");
                stages.WriteTo(context.Error);
            }

            if (summary.ReaderFailure != CaptureFailure.None)
            {
                context.Error.WriteLine($"socs: {path} ended early: {CaptureReader.Describe(summary.ReaderFailure)}");
                return CliApp.Problem;
            }

            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>Wall and process CPU time per stage of one command, from the process's start (<c>--timings</c>).</summary>
    private sealed class StageClock
    {
        private readonly List<(string Stage, double WallMs, double CpuMs)> _laps = [];
        private DateTime _lastWall;
        private TimeSpan _lastCpu;

        public StageClock()
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            _lastWall = process.StartTime.ToUniversalTime();
            _lastCpu = TimeSpan.Zero;
            Lap("start-up (runtime, command line)");
        }

        public void Lap(string stage)
        {
            var wall = DateTime.UtcNow;
            var cpu = Environment.CpuUsage.TotalTime;
            _laps.Add((stage, (wall - _lastWall).TotalMilliseconds, (cpu - _lastCpu).TotalMilliseconds));
            (_lastWall, _lastCpu) = (wall, cpu);
        }

        public void WriteTo(TextWriter error)
        {
            error.WriteLine("timings\twall ms\tCPU ms");
            foreach (var (stage, wallMs, cpuMs) in _laps)
            {
                error.WriteLine(FormattableString.Invariant($"  {stage}\t{wallMs:0}\t{cpuMs:0}"));
            }
        }
    }

    private static void WriteText(TextWriter output, List<CaptureDetection> detections, CaptureSummary summary)
    {
        output.WriteLine("frame\ttime_utc\tsid\trev\tpriority\tsrc\tdst\tproto\tsport\tdport\tparticipants\theader_bytes\tcontent_bytes\tmsg");
        foreach (var d in detections)
        {
            var h = d.Header;
            output.WriteLine(string.Join('\t',
                d.Frame.ToString(CultureInfo.InvariantCulture), Utc(h.ObservedAt), d.Rule.Sid.ToString(CultureInfo.InvariantCulture),
                d.Rule.Rev.ToString(CultureInfo.InvariantCulture), d.Rule.Priority.ToString(CultureInfo.InvariantCulture),
                h.Source, h.Destination, ProtocolName(h.Protocol), h.SourcePort?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                h.DestinationPort?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, string.Join(',', d.Participants),
                h.HeaderBytes.Length.ToString(CultureInfo.InvariantCulture), d.Content.Length.ToString(CultureInfo.InvariantCulture), d.Rule.Message));
        }

        output.WriteLine();
        output.WriteLine($"frames read\t{summary.FramesRead}");
        output.WriteLine($"in scope\t{summary.InScope}");
        output.WriteLine($"out of scope (dropped)\t{summary.OutOfScope}");
        output.WriteLine($"malformed\t{summary.Malformed}{Reasons(summary)}");
        output.WriteLine($"excluded under load\t{summary.Excluded}");
        output.WriteLine($"pcre timeouts\t{summary.PcreTimeouts}");
        output.WriteLine($"detections\t{summary.Detections}");
        foreach (var (sid, count) in summary.DetectionsBySid)
        {
            output.WriteLine($"  sid {sid}\t{count}");
        }

        foreach (var exclusion in summary.Exclusions)
        {
            output.WriteLine($"exclusion\t{exclusion}");
        }

        output.WriteLine($"elapsed\t{summary.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms");
    }

    private static string Reasons(CaptureSummary summary) =>
        summary.MalformedByReason.Count == 0
            ? string.Empty
            : " (" + string.Join(", ", summary.MalformedByReason.Select(kv => $"{PacketHeader.Describe(kv.Key)} {kv.Value}")) + ")";

    private static void WriteJson(TextWriter output, List<CaptureDetection> detections, CaptureSummary summary, RuleSet rules)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("detections");
            foreach (var d in detections)
            {
                var h = d.Header;
                w.WriteStartObject();
                w.WriteNumber("frame", d.Frame);
                w.WriteString("time_utc", Utc(h.ObservedAt));
                w.WriteString("source", d.Source.ToString().ToLowerInvariant());
                w.WriteNumber("sid", d.Rule.Sid);
                w.WriteNumber("rev", d.Rule.Rev);
                w.WriteString("msg", d.Rule.Message);
                w.WriteString("classtype", d.Rule.ClassType);
                w.WriteNumber("priority", d.Rule.Priority);
                w.WriteString("src", h.Source.ToString());
                w.WriteString("dst", h.Destination.ToString());
                w.WriteString("proto", ProtocolName(h.Protocol));
                WriteOptional(w, "sport", h.SourcePort);
                WriteOptional(w, "dport", h.DestinationPort);
                w.WriteStartArray("participants");
                foreach (var p in d.Participants)
                {
                    w.WriteStringValue(p.Value);
                }

                w.WriteEndArray();
                w.WriteNumber("header_bytes", h.HeaderBytes.Length);
                w.WriteNumber("content_bytes", d.Content.Length);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("summary");
            w.WriteNumber("frames_read", summary.FramesRead);
            w.WriteNumber("in_scope", summary.InScope);
            w.WriteNumber("out_of_scope", summary.OutOfScope);
            w.WriteNumber("malformed", summary.Malformed);
            w.WriteStartObject("malformed_by_reason");
            foreach (var (reason, count) in summary.MalformedByReason)
            {
                w.WriteNumber(PacketHeader.Describe(reason), count);
            }

            w.WriteEndObject();
            w.WriteNumber("excluded", summary.Excluded);
            w.WriteNumber("pcre_timeouts", summary.PcreTimeouts);
            w.WriteNumber("detections", summary.Detections);
            w.WriteStartObject("detections_by_sid");
            foreach (var (sid, count) in summary.DetectionsBySid)
            {
                w.WriteNumber(sid.ToString(CultureInfo.InvariantCulture), count);
            }

            w.WriteEndObject();
            w.WriteStartArray("exclusions");
            foreach (var e in summary.Exclusions)
            {
                w.WriteStartObject();
                w.WriteString("participant", e.Participant.Value);
                w.WriteString("prefixes", string.Join(',', e.Prefixes));
                w.WriteString("from", Utc(e.From));
                w.WriteString("to", e.To is { } to ? Utc(to) : null);
                w.WriteString("reason", e.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("rule_errors", rules.Errors.Count);
            w.WriteNumber("elapsed_ms", Math.Round(summary.Elapsed.TotalMilliseconds));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, ushort? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static ScopeIndex LoadScope(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"--prefixes: '{path}' does not exist.");
        }

        var assignments = ScopeFile.Parse(File.ReadAllText(path), out var errors);
        if (errors.Count > 0)
        {
            throw new CliUsageException("--prefixes: " + string.Join("; ", errors.Select(e => $"{path}:{e.Line}: {e.Reason}")));
        }

        return ScopeIndex.Create(assignments);
    }

    private static CaptureReader OpenCapture(string path, out FileStream stream)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"'{path}' does not exist.");
        }

        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return CaptureReader.TryOpen(stream, out var reader, out var failure)
            ? reader
            : throw new CliUsageException($"'{path}' is not a pcap or pcapng capture ({CaptureReader.Describe(failure)}).");
    }

    private static bool IsEve(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"'{path}' does not exist.");
        }

        using var stream = File.OpenRead(path);
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (!char.IsWhiteSpace((char)b))
            {
                return b == '{';
            }
        }

        return false;
    }

    private static int EndOf(CliContext context, CaptureReader reader)
    {
        if (reader.Failure == CaptureFailure.None)
        {
            return CliApp.Ok;
        }

        context.Error.WriteLine($"socs: the capture ended early after {reader.FramesRead} frames: {CaptureReader.Describe(reader.Failure)}");
        return CliApp.Problem;
    }

    private static string Utc(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static string ProtocolName(byte protocol) => protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmpv6",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
