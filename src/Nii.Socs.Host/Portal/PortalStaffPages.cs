using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using static Nii.Socs.Host.Portal.Html;

namespace Nii.Socs.Host.Portal;

/// <summary>The organization staff's pages: all participants, all requests, and the fault exception (R6.1, R7.2, R8.5).</summary>
/// <remarks>
/// Staff sees headers and registry data, files requests for any participant, and may open content only through
/// fault access with a stated reason and incident, which is recorded and shown in the participant's history (R7.2).
/// <para>Edge case: fault access reaches only keys that still exist (the current epoch); an older record is refused
/// with the reason, because its key was destroyed (R8.4).</para>
/// </remarks>
internal static class PortalStaffPages
{
    /// <summary>Maps the staff pages.</summary>
    /// <param name="staff">The group that admits only staff.</param>
    public static void Map(RouteGroupBuilder staff)
    {
        staff.MapGet("/", Participants).WithName("staff.participants");
        staff.MapGet("/requests", Requests).WithName("staff.requests.list");
        staff.MapPost("/requests", FileRequest).WithName("staff.requests.file");
        staff.MapGet("/fault-access", FaultAccess).WithName("staff.fault.list");
        staff.MapPost("/fault-access", OpenForFault).WithName("staff.fault.open");
    }

    private static IResult Participants(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder("<table id=\"participants\"><tr><th>Id</th><th>Name</th><th>Prefixes</th><th>Contacts</th><th>Operators</th><th>Certificates (active/all)</th><th>Terminated from</th></tr>");
        foreach (var x in services.Registry.State.Participants.Values.OrderBy(x => x.Id.Value, StringComparer.Ordinal))
        {
            var active = x.Certificates.Values.Count(c => c.Status == CertificateStatus.Active);
            b.Append("<tr><td>").Append(E(x.Id.Value)).Append("</td><td>").Append(E(x.Name)).Append("</td><td>").Append(E(string.Join(", ", x.Prefixes)))
                .Append("</td><td>").Append(E(string.Join(", ", x.Contacts))).Append("</td><td>").Append(E(string.Join(", ", x.Operators.Select(o => o.Name + " <" + o.Mail + ">"))))
                .Append("</td><td>").Append(E($"{active}/{x.Certificates.Count}")).Append("</td><td>")
                .Append(E(x.TerminatedFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-")).Append("</td></tr>");
        }

        return Page("Participants", p, b.Append("</table>").ToString());
    }

    private static IResult Requests(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return Page("All decryption requests", p, PortalPages.RequestTable(services, PortalQueries.Requests(services.Consent.Ledger, null)) + PortalPages.RequestForm(staff: true));
    }

    private static async Task<IResult> FileRequest(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var outcome = await PortalActions.FileRequestAsync(services, p, PortalPages.ReadRequestForm(form), http.RequestAborted);
        return outcome.Succeeded ? Results.Redirect($"/requests/{outcome.Value}") : Error(p, StatusCodes.Status400BadRequest, outcome.Error!);
    }

    private static IResult FaultAccess(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder("<p class=\"note\">R7.2: the organization does not view content without consent, except where a fault of the service needs it. ")
            .Append("Every access states its reason and incident, is recorded, and is shown to the participant.</p>")
            .Append("<fieldset><legend>Open a record for a fault</legend><form method=\"post\" action=\"/staff/fault-access\">")
            .Append("<label>Participant <input type=\"text\" name=\"participant\" required></label><label>Record id <input type=\"text\" name=\"record\" required></label>")
            .Append("<label>Reason <input type=\"text\" name=\"reason\" required></label><label>Incident <input type=\"text\" name=\"incident\" required></label>")
            .Append("<button type=\"submit\" id=\"fault-open\">Open for fault handling</button></form></fieldset>");
        b.Append("<table id=\"faults\"><tr><th>When</th><th>Staff</th><th>Participant</th><th>Record</th><th>Incident</th><th>Reason</th></tr>");
        foreach (var f in services.Consent.Ledger.FaultAccesses.Reverse())
        {
            b.Append("<tr><td>").Append(E(Jst(f.When))).Append("</td><td>").Append(E(f.Staff.ToString())).Append("</td><td>").Append(E(f.Participant.Value))
                .Append("</td><td>").Append(E(f.Record.ToString())).Append("</td><td>").Append(E(f.Incident)).Append("</td><td>").Append(E(f.Reason)).Append("</td></tr>");
        }

        return Page("Fault access", p, b.Append("</table>").ToString());
    }

    private static async Task<IResult> OpenForFault(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var participant = form["participant"].ToString().Trim();
        if (!ParticipantId.IsValid(participant) || !PortalActions.TryRecordId(form["record"], out var record))
        {
            return Error(p, StatusCodes.Status400BadRequest, "name a participant id and a record id");
        }

        var outcome = await services.Consent.FaultAccessAsync(new ParticipantId(participant), record, p.Actor, form["reason"].ToString(), form["incident"].ToString(), http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Error(p, StatusCodes.Status403Forbidden, outcome.Error!);
        }

        return Page("Content (fault access)", p, "<p class=\"note\">" + E($"Record {record} of {participant}; this access is recorded and the participant is told (R7.2).")
            + "</p><pre id=\"content\">" + HexDump(outcome.Value!) + "</pre>");
    }
}
