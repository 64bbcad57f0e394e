using System.Net;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>The procedures on the portal: staff forms (refused with every error, accepted into the registry and the
/// history), and a participant's own status, period and procedure history.</summary>
[Collection(PortalGroup.Name)]
public sealed class PortalProcedurePagesTests(PortalFixture portal)
{
    [Fact]
    [Trait("Requirement", "R3.1")]
    [Trait("Requirement", "R12.2")]
    public async Task Staff_files_procedures_through_forms_and_a_participant_sees_its_own_status()
    {
        var staff = portal.Client(portal.Staff);
        var page = await staff.GetStringAsync("/staff/procedures");
        Assert.Contains("id=\"statuses\"", page, StringComparison.Ordinal);
        Assert.Contains("<td>alpha</td><td>active</td>", page, StringComparison.Ordinal);

        var refused = await staff.PostAsync("/staff/procedures/refuse", new FormUrlEncodedContent([new("application", "app-none"), new("reason", "9"), new("note", "")]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = await refused.Content.ReadAsStringAsync();
        Assert.Contains("application: no application", errors, StringComparison.Ordinal);
        Assert.Contains("reason: the reason is required and is one of the six", errors, StringComparison.Ordinal);
        Assert.Contains("note: the decision", errors, StringComparison.Ordinal);

        var json = """{"participant":"gamma-forms","institutionName":"Gamma","prefixes":["100.64.0.0/16"],"contactMails":["soc@gamma.example.ac.jp"],"operators":[{"name":"G","mail":"g@gamma.example.ac.jp","issueCertificate":true}]}""";
        var applied = await staff.PostAsync("/staff/procedures/apply", new FormUrlEncodedContent([new("json", json)]));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        var id = portal.Registry.State.Applications.Values.Single(a => a.Participant == new ParticipantId("gamma-forms")).Id;
        Assert.Contains(id, await applied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(ApplicationStatus.Pending, portal.Registry.State.Applications[id].Status);
        Assert.Contains(Core.Storage.OperationHistoryStore.ReadAll(portal.DataDirectory), e => e.Action == "registry.application.submitted" && e.Actor == "staff:yamada" && e.Subject == "application/" + id);

        var overlap = await staff.PostAsync("/staff/procedures/apply", new FormUrlEncodedContent([new("json", json.Replace("gamma-forms", "delta-forms", StringComparison.Ordinal))]));
        Assert.Equal(HttpStatusCode.BadRequest, overlap.StatusCode);
        Assert.Contains("overlaps 100.64.0.0/16 of participant gamma-forms", await overlap.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A participant sees its own participation; staff may not open that page.
        var alpha = await portal.Client(portal.Operators[PortalFixture.Alpha]).GetStringAsync("/participation");
        Assert.Contains("<td id=\"status\">active</td>", alpha, StringComparison.Ordinal);
        Assert.Contains("id=\"procedures\"", alpha, StringComparison.Ordinal);
        Assert.DoesNotContain("gamma-forms", alpha, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/participation")).StatusCode);
    }
}
