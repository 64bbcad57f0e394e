using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Procedures;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Host.Cli;
using static Nii.Socs.Host.Portal.Html;

namespace Nii.Socs.Host.Portal;

/// <summary>The participant procedures on the portal: staff forms under <c>/staff/procedures</c>, and each participant's
/// own status, period, agreements and procedure history at <c>/participation</c> (R3, R5.2, R7.3, R10.2, R11, R12).</summary>
/// <remarks>
/// The forms run the same <see cref="ParticipantProcedures"/> as <c>socs participants …</c>: a refused procedure is a
/// 400 page listing every error with its field and changes nothing; an accepted one appends its registry events, is
/// recorded in the operation history under the staff member's name and is mailed to the participant's contacts when
/// the host has a mailer (<see cref="PortalServices.Mailer"/>).
/// <para>Edge case: a form posted on Saturday evening is accepted; the result page shows the receipt instant and the
/// next service window from which it is processed.</para>
/// </remarks>
internal static class PortalProcedurePages
{

    /// <summary>Maps the pages.</summary>
    /// <param name="operators">The group that admits only participant operators.</param>
    /// <param name="staff">The group under <c>/staff</c> that admits only staff.</param>
    public static void Map(RouteGroupBuilder operators, RouteGroupBuilder staff)
    {
        operators.MapGet("/participation", Participation).WithName("participation.show");
        staff.MapGet("/procedures", Procedures).WithName("staff.procedures.list");
        staff.MapPost("/procedures/{verb}", File).WithName("staff.procedures.file");
    }

    private static IResult Participation(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var now = services.Time.GetUtcNow();
        var today = Core.Time.Jst.DateOf(now);
        var b = new StringBuilder();
        if (!services.Registry.State.Participants.TryGetValue(p.Participant, out var entry))
        {
            return Error(p, StatusCodes.Status404NotFound, "Your participant is not in the registry.");
        }

        b.Append("<table id=\"participation\">")
            .Append("<tr><th>Participant</th><td>").Append(E(entry.Id.Value)).Append(" — ").Append(E(entry.Name)).Append("</td></tr>")
            .Append("<tr><th>Status</th><td id=\"status\">").Append(E(entry.StatusOn(today).ToString().ToLowerInvariant())).Append("</td></tr>")
            .Append("<tr><th>Usage period (R11)</th><td id=\"period\">").Append(E(entry.Lifecycle.PeriodOn(today)?.ToString() ?? "-")).Append("</td></tr>")
            .Append("<tr><th>Monitored prefixes (R3.1)</th><td>").Append(E(string.Join(", ", entry.Prefixes))).Append("</td></tr>")
            .Append("<tr><th>Contacts (R3.2)</th><td>").Append(E(string.Join(", ", entry.Contacts))).Append("</td></tr>")
            .Append("<tr><th>Operators (R3.3)</th><td>").Append(E(string.Join(", ", entry.Operators.Select(o => $"{o.Name} <{o.Mail}> certificate:{(o.IssueCertificate ? "true" : "false")}")))).Append("</td></tr>")
            .Append("</table>");
        b.Append("<h2>Retention agreements (R7.3)</h2><ul id=\"agreements\">");
        foreach (var a in entry.Agreements)
        {
            b.Append("<li>").Append(E(a.ToString())).Append("</li>");
        }

        b.Append("</ul>").Append(entry.Agreements.IsEmpty ? "<p>No agreement: detections are kept 3 months from the month after acquisition.</p>" : string.Empty);
        b.Append("<h2>Procedure history</h2><table id=\"procedures\"><tr><th>When (JST)</th><th>What</th></tr>");
        foreach (var step in ProcedureHistory.Of(services.Registry.Events(), entry.Id))
        {
            b.Append("<tr><td>").Append(E(Jst(step.At))).Append("</td><td>").Append(E(step.What)).Append("</td></tr>");
        }

        return Page("Participation", p, b.Append("</table>").ToString());
    }

    private static IResult Procedures(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder("<table id=\"statuses\"><tr><th>Participant</th><th>Status</th><th>Period</th><th>Application</th><th>Name</th><th>Prefixes</th></tr>");
        foreach (var r in ProcedureCommands.Rows(services.Registry.State, services.Time.GetUtcNow()))
        {
            b.Append("<tr><td>").Append(E(r.Participant)).Append("</td><td>").Append(E(r.Status)).Append("</td><td>").Append(E(r.Period ?? "-"))
                .Append("</td><td>").Append(E(r.Application)).Append("</td><td>").Append(E(r.Name)).Append("</td><td>").Append(E(r.Prefixes)).Append("</td></tr>");
        }

        b.Append("</table>");
        var reasons = "<label>Reason (R12.2) <select name=\"reason\"><option value=\"\">—</option>" + string.Concat(Enumerable.Range(1, 6).Select(i => $"<option value=\"{i}\">({i}) {E(((RefusalReason)i).ToString())}</option>")) + "</select></label><label>Note <input type=\"text\" name=\"note\"></label>";
        Form(b, "apply", "File an application (R3)", "<label>APPLICATION.json <textarea name=\"json\" rows=\"8\" cols=\"60\"></textarea></label>");
        Form(b, "approve", "Approve (R11.1)", "<label>Application <input type=\"text\" name=\"application\"></label><label>On (yyyy-MM-dd, optional) <input type=\"text\" name=\"on\"></label>");
        Form(b, "refuse", "Refuse (R12.2)", "<label>Application <input type=\"text\" name=\"application\"></label>" + reasons);
        Form(b, "revoke", "Revoke (R12.2)", "<label>Participant <input type=\"text\" name=\"participant\"></label>" + reasons);
        Form(b, "change", "Change details (R3, R10.2)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>CHANGE.json <textarea name=\"json\" rows=\"6\" cols=\"60\"></textarea></label>");
        Form(b, "terminate", "Termination notice (R12.1)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>Notice date (yyyy-MM-dd) <input type=\"text\" name=\"notice\"></label>");
        Form(b, "decline-extension", "Do not extend (R11.2)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>Reason <input type=\"text\" name=\"text\"></label>");
        Form(b, "agreement", "Retention agreement (R7.3)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>Months <input type=\"text\" name=\"months\"></label><label>Reference <input type=\"text\" name=\"reference\"></label>");
        Form(b, "exclusion-start", "Start an exclusion (R5.2)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>Prefixes (space-separated) <input type=\"text\" name=\"prefixes\"></label><label>Reason <input type=\"text\" name=\"text\"></label>");
        Form(b, "exclusion-end", "End an exclusion (R5.2)", "<label>Participant <input type=\"text\" name=\"participant\"></label><label>Prefixes (space-separated) <input type=\"text\" name=\"prefixes\"></label><label>Reason <input type=\"text\" name=\"text\"></label>");
        return Page("Participant procedures", p, b.ToString());
    }

    private static void Form(StringBuilder b, string verb, string legend, string fields) =>
        b.Append("<fieldset><legend>").Append(E(legend)).Append("</legend><form method=\"post\" action=\"/staff/procedures/").Append(verb).Append("\">")
            .Append(fields).Append("<button type=\"submit\" id=\"").Append(verb).Append("\">Submit</button></form></fieldset>");

    private static async Task<IResult> File(HttpContext http, PortalServices services, string verb)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? Field(string name) => form.TryGetValue(name, out var v) ? v.ToString() : null;
        var procedures = new ParticipantProcedures(services.Calendar);
        var state = services.Registry.State;
        var receipt = new ProcedureReceipt(p.Actor.Name, services.Time.GetUtcNow());
        ProcedureOutcome outcome;
        try
        {
            outcome = verb switch
            {
                "apply" => procedures.Apply(state, Json<Application>(Field("json")), receipt),
                "approve" => procedures.Approve(state, Field("application"), Date(Field("on")), receipt),
                "refuse" => procedures.Refuse(state, Field("application"), Int(Field("reason")), Field("note"), receipt),
                "revoke" => procedures.Revoke(state, Field("participant"), Int(Field("reason")), Field("note"), null, receipt),
                "change" => procedures.Change(state, Field("participant"), Json<ParticipantChange>(Field("json")), receipt),
                "terminate" => Date(Field("notice")) is { } notice
                    ? procedures.Terminate(state, Field("participant"), notice, receipt)
                    : throw new FormatException("notice-date: a date yyyy-MM-dd is required"),
                "decline-extension" => procedures.DeclineExtension(state, Field("participant"), Field("text"), receipt),
                "agreement" => procedures.Agree(state, Field("participant"), Int(Field("months")) ?? -1, Field("reference"), null, receipt),
                "exclusion-start" => procedures.StartExclusion(state, Field("participant"), Split(Field("prefixes")), Field("text"), null, receipt),
                "exclusion-end" => procedures.EndExclusion(state, Field("participant"), Split(Field("prefixes")), Field("text"), receipt),
                _ => throw new FormatException($"no procedure '{verb}'"),
            };
        }
        catch (FormatException ex)
        {
            return Error(p, StatusCodes.Status400BadRequest, ex.Message);
        }

        if (!outcome.IsAccepted)
        {
            var errors = new StringBuilder("<ul id=\"errors\">");
            foreach (var e in outcome.Errors)
            {
                errors.Append("<li>").Append(E(e.ToString())).Append("</li>");
            }

            return Page("Procedure refused", p, errors.Append("</ul>").ToString(), StatusCodes.Status400BadRequest);
        }

        await services.Registry.AppendAsync(outcome.Events, http.RequestAborted);
        await services.Audit.AppendAsync(p.HistoryActor, outcome.Action, outcome.Subject, outcome.Details, http.RequestAborted);
        var mail = services.Mailer is { } mailer ? await mailer.ProcedureAsync(outcome.Participant!.Value, outcome.NotifyTo, outcome.Notice!, http.RequestAborted) : null;
        var b = new StringBuilder("<table id=\"outcome\">")
            .Append("<tr><th>Done</th><td>").Append(E(outcome.Action)).Append("</td></tr>")
            .Append("<tr><th>Participant</th><td>").Append(E(outcome.Participant?.Value)).Append("</td></tr>")
            .Append("<tr><th>Id</th><td id=\"record\">").Append(E(outcome.RecordId ?? "-")).Append("</td></tr>")
            .Append("<tr><th>Received</th><td>").Append(E(Jst(outcome.ReceivedAt))).Append(outcome.OutsideServiceHours ? " (outside service hours)" : string.Empty).Append("</td></tr>")
            .Append("<tr><th>Processed from</th><td>").Append(E(Jst(outcome.ProcessedFrom))).Append("</td></tr>")
            .Append("<tr><th>Mail</th><td>").Append(E(mail is null ? "not queued (no mailer or no contact)" : string.Create(CultureInfo.InvariantCulture, $"#{mail.Id} to {string.Join(", ", mail.To)}"))).Append("</td></tr>")
            .Append("</table><p><a href=\"/staff/procedures\">Back to the procedures</a></p>");
        return Page("Procedure accepted", p, b.ToString());
    }

    private static T Json<T>(string? text)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text ?? string.Empty, Cli.ProcedureCommands.FileJson) ?? throw new FormatException("json: empty");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"json: {ex.Message}", ex);
        }
    }

    private static DateOnly? Date(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw new FormatException($"a date is yyyy-MM-dd; got '{text}'");

    private static int? Int(string? text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string[] Split(string? text) =>
        (text ?? string.Empty).Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
}
