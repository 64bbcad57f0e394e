using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Consent;
using Nii.Socs.Core.Storage.Keys;
using Nii.Socs.Host.ParticipantSide;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs consent …</c>: decryption requests, decisions, views and the fault exception (R7.2, R8.5, R8.6).</summary>
internal static class ConsentCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("consent", "Decryption requests and viewing under consent (R7.2, R8.5, R8.6)");
        command.Subcommands.Add(Request(context).Uses(DataUse.Served));
        command.Subcommands.Add(Show(context).Uses(DataUse.Served));
        command.Subcommands.Add(ExportRequest(context).Uses(DataUse.Served));
        command.Subcommands.Add(Approve(context).Uses(DataUse.Served));
        command.Subcommands.Add(Deny(context).Uses(DataUse.Served));
        command.Subcommands.Add(View(context).Uses(DataUse.Served));
        command.Subcommands.Add(FaultAccess(context).Uses(DataUse.Served));
        return command;
    }

    private static Command Request(CliContext context)
    {
        var data = CliParse.DataOption();
        var participant = new Option<string>("--participant") { Description = "Whose detections", Required = true };
        var from = new Option<string>("--from") { Description = "First instant (ISO 8601 with offset)", Required = true };
        var to = new Option<string>("--to") { Description = "End instant, exclusive (ISO 8601 with offset)", Required = true };
        var purpose = new Option<string>("--purpose") { Description = "The purpose in words", Required = true };
        var requester = new Option<string>("--requester") { Description = "staff:NAME, or operator:NAME for an operator of the participant", Required = true };
        var kind = new Option<string>("--kind") { Description = "investigation, research, own-review or other", DefaultValueFactory = _ => "investigation" };
        var deadline = new Option<string?>("--deadline") { Description = "When the request expires undecided (default: 7 days)" };
        var json = CliOutput.JsonOption();
        var command = new Command("request", "File a decryption request (R8.5)") { data, participant, from, to, purpose, requester, kind, deadline, json };
        command.SetAction(parse =>
        {
            var p = Participant(parse.GetValue(participant));
            var range = new ConsentScope.TimeRange(CliParse.Instant("--from", parse.GetValue(from)), CliParse.Instant("--to", parse.GetValue(to)));
            var who = ActorOf("--requester", parse.GetValue(requester), p);
            var due = parse.GetValue(deadline) is { } d ? CliParse.Instant("--deadline", d) : context.Time.GetUtcNow().AddDays(7);
            using var session = Session.Open(context, parse.GetValue(data));
            if (!session.Registry.State.Participants.ContainsKey(p))
            {
                // The portal refuses the same: a request names a registered participant; nothing is filed otherwise.
                throw new CliUsageException($"--participant: no participant {p} is registered.");
            }

            var result = session.Service.RequestAsync(who, p, range, PurposeOf(parse.GetValue(kind)), parse.GetValue(purpose)!, due).GetAwaiter().GetResult();
            var request = Check(result);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, RequestJson(context, session, request));
                return CliApp.Ok;
            }

            context.Out.WriteLine($"request\t{request.Id}");
            PrintRequest(context, session, request);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var data = CliParse.DataOption();
        var request = new Option<string>("--request") { Description = "The request id", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("show", "A request: status, scope, and which epochs' keys approval needs") { data, request, json };
        command.SetAction(parse =>
        {
            using var session = Session.Open(context, parse.GetValue(data));
            var id = RequestIdOf(parse.GetValue(request));
            if (!session.Service.Ledger.TryGetRequest(id, out var r))
            {
                throw new CliUsageException($"--request: no request {id}.");
            }

            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, RequestJson(context, session, r));
                return CliApp.Ok;
            }

            context.Out.WriteLine($"request\t{r.Id}");
            PrintRequest(context, session, r);
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Approve(CliContext context)
    {
        var data = CliParse.DataOption();
        var approval = new Option<string>("--approval") { Description = "The signed approval from 'socs participant approve' (CMS)", Required = true };
        var command = new Command("approve", "Approve with an operator's signed approval (R8.6): checked against the participant's active registered certificates; creates a viewing grant") { data, approval };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(approval)!;
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (IOException ex)
            {
                throw new CliUsageException($"--approval {path}: {ex.Message}");
            }

            var statement = SignedApproval.TryRead(bytes, out var error) ?? throw new CliUsageException($"--approval {path}: {error}.");
            using var session = Session.Open(context, parse.GetValue(data));
            try
            {
                if (!session.Service.Ledger.TryGetRequest(statement.Request, out var r))
                {
                    throw new CliUsageException($"the approval names request {statement.Request}, which does not exist.");
                }

                var thumbprint = statement.Thumbprint;
                var certificate = statement.CheckSigner(session.Registry.State, r, context.Time.GetUtcNow());
                var presented = statement.Keys.ToDictionary(kv => new EpochId(r.Participant, kv.Key), kv => kv.Value);
                var who = Actor.Operator(r.Participant, certificate.OperatorEmail);
                var grant = Check(session.Service.ApproveAsync(r.Id, who, presented, statement.GrantExpires).GetAwaiter().GetResult());
                session.History.AppendAsync(who.ToString(), "consent.approval.signed", $"consent/{r.Id}", $"grant={grant.Id} signed by certificate sha256={thumbprint} of {certificate.OperatorEmail} (CMS, verified against the registry)").GetAwaiter().GetResult();
                context.Out.WriteLine($"grant\t{grant.Id}");
                context.Out.WriteLine($"grantee\t{grant.Grantee}");
                context.Out.WriteLine($"approved_by\t{certificate.OperatorEmail}\t{thumbprint}");
                context.Out.WriteLine($"expires\t{CliParse.Iso(Core.Time.Jst.ToJst(grant.ExpiresAt))}");
                return CliApp.Ok;
            }
            finally
            {
                foreach (var key in statement.Keys.Values)
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
                }
            }
        });
        return command;
    }

    private static Command ExportRequest(CliContext context)
    {
        var data = CliParse.DataOption();
        var request = new Option<string>("--request") { Description = "The request id", Required = true };
        var output = new Option<string>("--out") { Description = "The request file for the participant's operator", Required = true };
        var command = new Command("export-request", "Write a request with the wrapped keys it needs, for 'socs participant approve' on the participant's machine") { data, request, output };
        command.SetAction(parse =>
        {
            using var session = Session.Open(context, parse.GetValue(data));
            var id = RequestIdOf(parse.GetValue(request));
            if (!session.Service.Ledger.TryGetRequest(id, out var r))
            {
                throw new CliUsageException($"--request: no request {id}.");
            }

            var keys = session.Keys;
            using var buffer = new MemoryStream();
            using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("request", r.Id.ToString());
                json.WriteString("participant", r.Participant.Value);
                json.WriteString("requester", r.Requester.ToString());
                json.WriteString("purpose", r.Purpose.ToString().ToLowerInvariant());
                json.WriteString("purpose_text", r.PurposeText);
                json.WriteString("scope", r.Scope.ToString());
                json.WriteString("deadline", CliParse.Iso(Core.Time.Jst.ToJst(r.Deadline)));
                json.WriteStartArray("epochs");
                foreach (var epoch in session.Service.RequiredEpochsAsync(r.Id).GetAwaiter().GetResult())
                {
                    json.WriteStartObject();
                    json.WriteNumber("index", epoch.Index);
                    json.WritePropertyName("wrapped");
                    if (!keys.TryLoadWrappedSet(epoch, out var set))
                    {
                        throw new CliUsageException($"--request {id}: epoch {epoch.Index} has no wrapped key set (deleted by retention?).");
                    }

                    json.WriteRawValue(set.ToJson());
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            File.WriteAllBytes(parse.GetValue(output)!, buffer.ToArray());
            context.Out.WriteLine($"request\t{r.Id}");
            context.Out.WriteLine($"file\t{parse.GetValue(output)}");
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Deny(CliContext context)
    {
        var data = CliParse.DataOption();
        var request = new Option<string>("--request") { Description = "The request id", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why", Required = true };
        var op = new Option<string>("--operator") { Description = "The deciding operator of the participant", Required = true };
        var json = CliOutput.JsonOption();
        var command = new Command("deny", "Deny a request with a reason") { data, request, reason, op, json };
        command.SetAction(parse =>
        {
            using var session = Session.Open(context, parse.GetValue(data));
            var id = RequestIdOf(parse.GetValue(request));
            if (!session.Service.Ledger.TryGetRequest(id, out var r))
            {
                throw new CliUsageException($"--request: no request {id}.");
            }

            Check(session.Service.DenyAsync(id, Actor.Operator(r.Participant, parse.GetValue(op)!), parse.GetValue(reason)!).GetAwaiter().GetResult());
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject { ["denied"] = id.ToString(), ["reason"] = parse.GetValue(reason) });
            }
            else
            {
                context.Out.WriteLine($"denied\t{id}");
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command View(CliContext context)
    {
        var data = CliParse.DataOption();
        var grant = new Option<string>("--grant") { Description = "The grant id", Required = true };
        var record = new Option<string>("--record") { Description = "The record id", Required = true };
        var hex = new Option<bool>("--hex") { Description = "Print hex even when the content is text" };
        var json = CliOutput.JsonOption("Print JSON: the record id and its content as text (when UTF-8) and as hex");
        var command = new Command("view", "Open one record under a grant; the view is recorded (R8.6)") { data, grant, record, hex, json };
        command.SetAction(parse =>
        {
            using var session = Session.Open(context, parse.GetValue(data));
            if (!GrantId.TryParse(parse.GetValue(grant), out var g))
            {
                throw new CliUsageException($"--grant must be a grant id; got '{parse.GetValue(grant)}'.");
            }

            if (!session.Service.Ledger.TryGetGrant(g, out var found))
            {
                throw new CliUsageException($"--grant: no grant {g}.");
            }

            var recordId = RecordIdOf(parse.GetValue(record));
            var content = Check(session.Service.ViewAsync(g, found.Grantee, recordId).GetAwaiter().GetResult());
            PrintContent(context, recordId, content, parse.GetValue(hex), parse.GetValue(json));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command FaultAccess(CliContext context)
    {
        var data = CliParse.DataOption();
        var record = new Option<string>("--record") { Description = "The record id", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why the fault needs the content", Required = true };
        var incident = new Option<string>("--incident") { Description = "The incident reference", Required = true };
        var staff = new Option<string>("--staff") { Description = "The staff member", Required = true };
        var hex = new Option<bool>("--hex") { Description = "Print hex even when the content is text" };
        var json = CliOutput.JsonOption("Print JSON: the record id and its content as text (when UTF-8) and as hex");
        var command = new Command("fault-access", "Open a record without consent to handle a service fault (R7.2): recorded, the participant is told") { data, record, reason, incident, staff, hex, json };
        command.SetAction(parse =>
        {
            using var session = Session.Open(context, parse.GetValue(data));
            var recordId = RecordIdOf(parse.GetValue(record));
            var content = Check(session.Service.FaultAccessAsync(recordId, Actor.Staff(parse.GetValue(staff)!), parse.GetValue(reason)!, parse.GetValue(incident)!).GetAwaiter().GetResult());
            PrintContent(context, recordId, content, parse.GetValue(hex), parse.GetValue(json));
            return CliApp.Ok;
        });
        return command;
    }

    private static void PrintRequest(CliContext context, Session session, DecryptionRequest r)
    {
        var o = context.Out;
        o.WriteLine($"status\t{session.Service.Ledger.StatusOf(r.Id, context.Time.GetUtcNow()).ToString().ToLowerInvariant()}");
        o.WriteLine($"participant\t{r.Participant}");
        o.WriteLine($"requester\t{r.Requester}");
        o.WriteLine($"purpose\t{r.Purpose.ToString().ToLowerInvariant()}\t{r.PurposeText}");
        o.WriteLine($"scope\t{ScopeText(r.Scope)}");
        o.WriteLine($"deadline\t{CliParse.Iso(Core.Time.Jst.ToJst(r.Deadline))}");
        foreach (var epoch in session.Service.RequiredEpochsAsync(r.Id).GetAwaiter().GetResult())
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"needs_key\t{epoch.Index}\t{session.WrappedSetLocation(epoch)}"));
        }

        if (session.Service.Ledger.GrantOf(r.Id) is { } grant)
        {
            o.WriteLine($"grant\t{grant.Id}\t{(grant.IsLive(context.Time.GetUtcNow()) ? "live" : "ended")}");
        }
    }

    /// <summary>A scope in words, instants in JST: <c>2026-11-30T09:00:00+09:00..2026-12-02T09:00:00+09:00 sid 1000001</c>.</summary>
    internal static string ScopeText(ConsentScope scope) => scope switch
    {
        ConsentScope.TimeRange t => $"{CliParse.Iso(t.From)}..{CliParse.Iso(t.To)}"
            + (t.Sid is { } sid ? string.Create(CultureInfo.InvariantCulture, $" sid {sid}") : string.Empty)
            + (t.Address is { } a ? $" address {a}" : string.Empty),
        ConsentScope.RecordList l => string.Create(CultureInfo.InvariantCulture, $"{l.Ids.Count} record(s): {string.Join(' ', l.Ids)}"),
        _ => scope.ToString(),
    };

    private static JsonObject ScopeJson(ConsentScope scope) => scope switch
    {
        ConsentScope.TimeRange t => new JsonObject
        {
            ["kind"] = "time_range",
            ["from"] = CliOutput.Json(t.From),
            ["to"] = CliOutput.Json(t.To),
            ["sid"] = t.Sid,
            ["address"] = t.Address?.ToString(),
        },
        ConsentScope.RecordList l => new JsonObject { ["kind"] = "records", ["records"] = CliOutput.Strings(l.Ids.Select(i => i.ToString())) },
        _ => new JsonObject { ["kind"] = scope.GetType().Name },
    };

    private static JsonObject RequestJson(CliContext context, Session session, DecryptionRequest r)
    {
        var now = context.Time.GetUtcNow();
        var grant = session.Service.Ledger.GrantOf(r.Id);
        return new JsonObject
        {
            ["request"] = r.Id.ToString(),
            ["status"] = session.Service.Ledger.StatusOf(r.Id, now).ToString().ToLowerInvariant(),
            ["participant"] = r.Participant.Value,
            ["requester"] = r.Requester.ToString(),
            ["purpose"] = r.Purpose.ToString().ToLowerInvariant(),
            ["purpose_text"] = r.PurposeText,
            ["scope"] = ScopeJson(r.Scope),
            ["deadline"] = CliOutput.Json(r.Deadline),
            ["needs_keys"] = new JsonArray([.. session.Service.RequiredEpochsAsync(r.Id).GetAwaiter().GetResult().Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Index,
                ["wrapped"] = session.WrappedSetLocation(e),
            })]),
            ["grant"] = grant is null ? null : new JsonObject
            {
                ["grant"] = grant.Id.ToString(),
                ["state"] = grant.IsLive(now) ? "live" : "ended",
                ["expires"] = CliOutput.Json(grant.ExpiresAt),
            },
        };
    }

    private static void PrintContent(CliContext context, DetectionId record, byte[] content, bool forceHex, bool json)
    {
        var isText = content.Length > 0 && IsPrintableUtf8(content);
        if (json)
        {
            CliOutput.WriteJson(context.Out, new JsonObject
            {
                ["record"] = record.ToString(),
                ["bytes"] = content.Length,
                ["text"] = isText && !forceHex ? Encoding.UTF8.GetString(content) : null,
                ["hex"] = Convert.ToHexStringLower(content),
            });
            return;
        }

        context.Out.WriteLine(isText && !forceHex ? Encoding.UTF8.GetString(content) : Convert.ToHexStringLower(content));
    }

    private static bool IsPrintableUtf8(byte[] content)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
            return text.All(c => !char.IsControl(c) || c is '\r' or '\n' or '\t');
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static T Check<T>(ConsentResult<T> result) =>
        result.Succeeded ? result.Value : throw new CliUsageException(result.Refusal.Message);

    private static ParticipantId Participant(string? text) =>
        ParticipantId.IsValid(text) ? new ParticipantId(text!) : throw new CliUsageException($"--participant must be a participant id such as u-tokyo; got '{text}'.");

    private static Actor ActorOf(string option, string? text, ParticipantId participant)
    {
        var (kind, name) = text?.Split(':', 2) is [var k, var n] ? (k, n) : ("staff", text);
        if (string.IsNullOrWhiteSpace(name) || kind is not ("staff" or "operator"))
        {
            throw new CliUsageException($"{option} must be staff:NAME or operator:NAME; got '{text}'.");
        }

        return kind == "staff" ? Actor.Staff(name) : Actor.Operator(participant, name);
    }

    private static Purpose PurposeOf(string? text) => text switch
    {
        "investigation" => Purpose.Investigation,
        "research" => Purpose.Research,
        "own-review" => Purpose.OwnReview,
        "other" => Purpose.Other,
        _ => throw new CliUsageException($"--kind must be investigation, research, own-review or other; got '{text}'."),
    };

    private static RequestId RequestIdOf(string? text) =>
        RequestId.TryParse(text, out var id) ? id : throw new CliUsageException($"--request must be a request id; got '{text}'.");

    private static DetectionId RecordIdOf(string? text) =>
        DetectionId.TryParse(text, out var id) ? id : throw new CliUsageException($"--record must be a record id; got '{text}'.");

    private static bool TryHex(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length != EpochKey.Size * 2)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length > 24 ? text[..24] + "…" : text;

    /// <summary>The consent service of one data directory for one verb (consent and research malware verbs): the running
    /// service's over the admin channel, else opened for the verb (<see cref="DataAccess.Open"/>).</summary>
    internal sealed class Session : IDisposable
    {
        private readonly DataLease _lease;

        private Session(DataLease lease) => _lease = lease;

        public string DataDirectory => _lease.Data.Directory;

        public ConsentService Service => _lease.Data.ConsentService;

        public IDetectionStore Detections => _lease.Data.Detections;

        public IOperationHistoryStore History => _lease.Data.History;

        public IRegistryStore Registry => _lease.Data.Registry;

        /// <summary>The epoch keys: the data directory's, or the cluster's on PostgreSql.</summary>
        public IKeyStore Keys => _lease.Data.Keys;

        /// <summary>Where an epoch's wrapped set is: its file on FASTER; on PostgreSql the cluster, from which
        /// <c>consent export-request</c> writes it into the request file.</summary>
        public string WrappedSetLocation(EpochId epoch) => _lease.Data.Cluster is { } cluster
            ? $"cluster:{cluster.Storage.Schema}"
            : Path.Combine(DataDirectory, "keys", epoch.Participant.Value, epoch.Index.ToString(CultureInfo.InvariantCulture), "wrapped.json");

        public static Session Open(CliContext context, string? data) => new(DataAccess.Open(context, data, requireKek: true));

        public void Dispose() => _lease.Dispose();
    }
}
