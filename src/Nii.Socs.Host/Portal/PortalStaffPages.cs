using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using static Nii.Socs.Host.Portal.Html;
using static Nii.Socs.Host.Portal.PortalText;

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
        var table = PortalTable.Render(
            http,
            "participants",
            [.. services.Registry.State.Participants.Values],
            [
                new PortalColumn<ParticipantEntry>("id", "Id", x => E(x.Id.Value), x => x.Id.Value, "nowrap"),
                new PortalColumn<ParticipantEntry>("name", "Name", x => E(x.Name), x => x.Name),
                new PortalColumn<ParticipantEntry>("prefixes", "Prefixes", x => E(string.Join(", ", x.Prefixes))),
                new PortalColumn<ParticipantEntry>("contacts", "Contacts", x => E(string.Join(", ", x.Contacts))),
                new PortalColumn<ParticipantEntry>("operators", "Operators", x => E(string.Join(", ", x.Operators.Select(o => o.Name + " <" + o.Mail + ">")))),
                new PortalColumn<ParticipantEntry>("certificates", "Certificates (active/all)", x => E($"{x.Certificates.Values.Count(c => c.Status == CertificateStatus.Active)}/{x.Certificates.Count}"), x => x.Certificates.Values.Count(c => c.Status == CertificateStatus.Active), "num"),
                new PortalColumn<ParticipantEntry>("terminated", "Terminated from", x => E(x.TerminatedFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"), x => x.TerminatedFrom, "nowrap"),
            ],
            "id",
            defaultDescending: false,
            "No participants.");
        return Page("Participants", p, table);
    }

    private static IResult Requests(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return Page("All decryption requests", p, PortalPages.RequestTable(http, services, PortalQueries.Requests(services.Consent.Ledger, null), p) + PortalPages.RequestForm(staff: true));
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
        var b = new StringBuilder("<p class=\"note\">").Append(E(T("R7.2: the organization does not view content without consent, except where a fault of the service needs it. Every access states its reason and incident, is recorded, and is shown to the participant.")))
            .Append("</p><fieldset><legend>").Append(E(T("Open a record for a fault"))).Append("</legend><form method=\"post\" action=\"/staff/fault-access\">")
            .Append("<label>").Append(E(T("Participant"))).Append(" <input type=\"text\" name=\"participant\" required></label><label>").Append(E(T("Record id"))).Append(" <input type=\"text\" name=\"record\" required></label>")
            .Append("<label>").Append(E(T("Reason"))).Append(" <input type=\"text\" name=\"reason\" required></label><label>").Append(E(T("Incident"))).Append(" <input type=\"text\" name=\"incident\" required></label>")
            .Append("<button type=\"submit\" id=\"fault-open\">").Append(E(T("Open for fault handling"))).Append("</button></form></fieldset>");
        b.Append(PortalTable.Render(
            http,
            "faults",
            [.. services.Consent.Ledger.FaultAccesses],
            [
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("when", "When", f => Time(f.When), f => f.When, "time"),
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("staff", "Staff", f => E(f.Staff.ToString()), f => f.Staff.ToString()),
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("participant", "Participant", f => E(f.Participant.Value), f => f.Participant.Value),
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("record", "Record", f => "<code>" + E(f.Record.ToString()) + "</code>"),
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("incident", "Incident", f => E(f.Incident), f => f.Incident),
                new PortalColumn<Core.Consent.ConsentEvent.FaultAccessed>("reason", "Reason", f => E(f.Reason)),
            ],
            "when",
            defaultDescending: true,
            "No fault accesses."));
        return Page("Fault access", p, b.ToString());
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

        return Page("Content (fault access)", p, "<p class=\"note\">" + E(T("Record {0} of {1}; this access is recorded and the participant is told (R7.2).", record, participant))
            + "</p><pre id=\"content\">" + HexDump(outcome.Value!) + "</pre>");
    }
}
