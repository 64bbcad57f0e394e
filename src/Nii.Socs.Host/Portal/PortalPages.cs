using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using static Nii.Socs.Host.Portal.Html;

namespace Nii.Socs.Host.Portal;

/// <summary>The participant's pages (R4.7, R6.2, R8.5, R8.6): detections, requests, content viewer, gaps, keys, history.</summary>
/// <remarks>
/// Handlers parse the request, call <see cref="PortalQueries"/>/<see cref="PortalActions"/>, and render; every page is
/// scoped to the signed-in operator's participant by the route group, and every value is HTML-encoded.
/// <para>Edge case: a record id of another participant is "not found", exactly as an id that does not exist, so ids
/// cannot be probed.</para>
/// </remarks>
internal static class PortalPages
{
    /// <summary>Maps the pages.</summary>
    /// <param name="operators">The group that admits only participant operators.</param>
    /// <param name="anyone">The group that admits operators and staff.</param>
    public static void Map(RouteGroupBuilder operators, RouteGroupBuilder anyone)
    {
        anyone.MapGet("/", Home).WithName("home");
        operators.MapGet("/detections", Detections).WithName("detections.list");
        operators.MapGet("/detections/{id}", Detection).WithName("detections.show");
        operators.MapGet("/requests", Requests).WithName("requests.list");
        operators.MapPost("/requests", FileRequest).WithName("requests.file");
        anyone.MapGet("/requests/{id}", Request).WithName("requests.show");
        operators.MapPost("/requests/{id}/approve", Approve).WithName("requests.approve");
        operators.MapPost("/requests/{id}/deny", Deny).WithName("requests.deny");
        operators.MapPost("/grants/{id}/revoke", Revoke).WithName("grants.revoke");
        anyone.MapGet("/grants/{grant}/records/{record}", View).WithName("grants.view");
        operators.MapGet("/coverage", Coverage).WithName("coverage.list");
        operators.MapGet("/keys", Keys).WithName("keys.list");
        operators.MapGet("/keys/{epoch}/wrapped.json", WrappedJson).WithName("keys.download");
        operators.MapGet("/history", History).WithName("history.list");
        operators.MapPost("/compromise", Compromise).WithName("certificate.compromise");
    }

    private static IResult Home(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder();
        b.Append("<p>Signed in as <strong id=\"who\">").Append(E(p.HistoryActor)).Append("</strong> with certificate <code>").Append(E(p.Thumbprint)).Append("</code>.</p>");
        if (p.IsStaff)
        {
            b.Append("<p>Organization staff: see <a href=\"/staff\">participants</a>, <a href=\"/staff/procedures\">procedures</a>, <a href=\"/staff/requests\">requests</a> and <a href=\"/staff/fault-access\">fault access</a>.</p>");
        }
        else if (services.Registry.State.Participants.TryGetValue(p.Participant, out var entry))
        {
            b.Append("<p>Participant <strong>").Append(E(entry.Name)).Append("</strong> (").Append(E(entry.Id.Value)).Append("), monitored prefixes ")
                .Append(E(string.Join(", ", entry.Prefixes))).Append(". See your <a href=\"/participation\">participation</a>: status, period, agreements and procedure history.</p>");
            b.Append("<fieldset><legend>Report compromise (R6.2)</legend><p>If this certificate or its key may be known to someone else, revoke it now. ")
                .Append("It stops working at once; ask the organization for a new one. Keep the old key: past epoch keys are wrapped to it (R6.3).</p>")
                .Append("<form method=\"post\" action=\"/compromise\"><label>What happened <input type=\"text\" name=\"note\"></label>")
                .Append("<button type=\"submit\" id=\"report-compromise\">Revoke this certificate now</button></form></fieldset>");
        }

        return Page("Account", p, b.ToString());
    }

    private static async Task<IResult> Detections(HttpContext http, PortalServices services, string? sid, string? address, string? cursor)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!PortalQueries.TryParseFilter(sid, address, cursor, out var filter, out var error))
        {
            return Error(p, StatusCodes.Status400BadRequest, error);
        }

        var page = await PortalQueries.DetectionsAsync(services, p.Participant, filter, http.RequestAborted);
        var b = new StringBuilder();
        b.Append("<form method=\"get\" action=\"/detections\"><label>Rule sid <input type=\"text\" name=\"sid\" value=\"").Append(E(sid)).Append("\"></label>")
            .Append("<label>Address (source or destination) <input type=\"text\" name=\"address\" value=\"").Append(E(address)).Append("\"></label>")
            .Append("<button type=\"submit\" id=\"filter\">Filter</button></form>");
        b.Append("<p class=\"note\">Newest first. Times are JST. Content is sealed; file a <a href=\"/requests\">decryption request</a> to view it.</p>");
        b.Append("<table id=\"detections\"><tr><th>Observed</th><th>Rule</th><th>Source</th><th>Destination</th><th>Proto</th><th>Content</th></tr>");
        foreach (var r in page.Records)
        {
            var h = r.Header;
            b.Append("<tr><td><a href=\"/detections/").Append(E(r.Id.ToString())).Append("\">").Append(E(Jst(h.ObservedAt))).Append("</a></td><td>")
                .Append(E($"{r.Rule.Sid}: {r.Rule.Message}")).Append("</td><td>").Append(E(Endpoint(h.Source, h.SourcePort))).Append("</td><td>")
                .Append(E(Endpoint(h.Destination, h.DestinationPort))).Append("</td><td>").Append(E(Protocol(h.Protocol))).Append("</td><td>")
                .Append(E($"{h.ContentLength} B sealed")).Append("</td></tr>");
        }

        b.Append("</table>");
        if (page.Records.Count == 0)
        {
            b.Append("<p>No detections match.</p>");
        }

        if (page.Next is { } next)
        {
            b.Append("<p><a id=\"next-page\" href=\"/detections?sid=").Append(E(U(sid))).Append("&amp;address=").Append(E(U(address)))
                .Append("&amp;cursor=").Append(E(U(next.ToString()))).Append("\">Older detections →</a></p>");
        }

        return Page("Detections", p, b.ToString());
    }

    private static async Task<IResult> Detection(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!PortalActions.TryRecordId(id, out var recordId) || await services.Detections.FindAsync(p.Participant, recordId, http.RequestAborted) is not { } r)
        {
            return Error(p, StatusCodes.Status404NotFound, $"no detection {id}");
        }

        var h = r.Header;
        var b = new StringBuilder("<table>");
        void Row(string name, string value) => b.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        Row("Record id", r.Id.ToString());
        Row("Observed (JST)", Jst(h.ObservedAt));
        Row("Rule", string.Create(CultureInfo.InvariantCulture, $"sid {r.Rule.Sid} rev {r.Rule.Rev}: {r.Rule.Message}"));
        Row("Class type / priority", string.Create(CultureInfo.InvariantCulture, $"{r.Rule.ClassType ?? "-"} / {r.Rule.Priority}"));
        Row("Source", Endpoint(h.Source, h.SourcePort));
        Row("Destination", Endpoint(h.Destination, h.DestinationPort));
        Row("Protocol", Protocol(h.Protocol));
        Row("TCP flags", h.TcpFlags is { } f ? "0x" + f.ToString("x2", CultureInfo.InvariantCulture) : "-");
        Row("Captured / wire length", string.Create(CultureInfo.InvariantCulture, $"{h.CapturedLength} / {h.WireLength} bytes"));
        Row("Content (sealed, R7.1)", string.Create(CultureInfo.InvariantCulture, $"{h.ContentLength} bytes"));
        Row("Key epoch", r.Epoch.ToString());
        Row("Source of detection", r.Source.ToString());
        Row("Header bytes", Convert.ToHexStringLower(h.HeaderBytes.Span));
        b.Append("</table>");
        var now = services.Time.GetUtcNow();
        var grants = services.Consent.Ledger.Grants.Where(g => g.Participant == p.Participant && g.Grantee == p.Actor && g.IsLive(now) && g.Scope.Covers(r)).ToList();
        foreach (var g in grants)
        {
            b.Append("<p><a href=\"/grants/").Append(E(g.Id.ToString())).Append("/records/").Append(E(r.Id.ToString())).Append("\">View content under grant ")
                .Append(E(g.Id.ToString())).Append("</a></p>");
        }

        b.Append("<form method=\"post\" action=\"/requests\"><input type=\"hidden\" name=\"records\" value=\"").Append(E(r.Id.ToString())).Append("\">")
            .Append("<input type=\"hidden\" name=\"purpose\" value=\"ownreview\"><label>Purpose <input type=\"text\" name=\"text\" value=\"review of this detection\"></label>")
            .Append("<button type=\"submit\" id=\"request-this\">Request decryption of this record</button></form>");
        return Page("Detection", p, b.ToString());
    }

    private static IResult Requests(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return Page("Decryption requests", p, RequestTable(services, PortalQueries.Requests(services.Consent.Ledger, p.Participant)) + RequestForm(staff: false));
    }

    /// <summary>The request table both the operator's and the staff's pages show.</summary>
    /// <param name="services">The services.</param>
    /// <param name="requests">The requests.</param>
    /// <returns>The markup.</returns>
    internal static string RequestTable(PortalServices services, IReadOnlyList<DecryptionRequest> requests)
    {
        var now = services.Time.GetUtcNow();
        var ledger = services.Consent.Ledger;
        var b = new StringBuilder("<table id=\"requests\"><tr><th>Request</th><th>Participant</th><th>Requester</th><th>Scope</th><th>Purpose</th><th>Deadline</th><th>Status</th></tr>");
        foreach (var r in requests)
        {
            b.Append("<tr><td><a href=\"/requests/").Append(E(r.Id.ToString())).Append("\">").Append(E(r.Id.ToString())).Append("</a></td><td>")
                .Append(E(r.Participant.Value)).Append("</td><td>").Append(E(r.Requester.ToString())).Append("</td><td>").Append(E(r.Scope.ToString()))
                .Append("</td><td>").Append(E($"{r.Purpose}: {r.PurposeText}")).Append("</td><td>").Append(E(Jst(r.Deadline))).Append("</td><td>")
                .Append(E(ledger.StatusOf(r.Id, now).ToString())).Append("</td></tr>");
        }

        return b.Append("</table>").Append(requests.Count == 0 ? "<p>No requests.</p>" : string.Empty).ToString();
    }

    /// <summary>The form that files a request.</summary>
    /// <param name="staff">Whether to ask for the participant.</param>
    /// <returns>The markup.</returns>
    internal static string RequestForm(bool staff) =>
        "<fieldset><legend>File a decryption request (R8.5)</legend><form method=\"post\" action=\"" + (staff ? "/staff/requests" : "/requests") + "\">"
        + (staff ? "<label>Participant <input type=\"text\" name=\"participant\" required></label>" : string.Empty)
        + "<label>Record ids (one per line) <textarea name=\"records\" rows=\"3\"></textarea></label>"
        + "<p class=\"note\">or a time range (JST):</p><label>From <input type=\"datetime-local\" name=\"from\"></label><label>To <input type=\"datetime-local\" name=\"to\"></label>"
        + "<label>Only rule sid <input type=\"text\" name=\"sid\"></label><label>Only address <input type=\"text\" name=\"address\"></label>"
        + "<label>Purpose <select name=\"purpose\"><option>investigation</option><option>research</option><option>ownreview</option><option>other</option></select></label>"
        + "<label>Stated purpose <input type=\"text\" name=\"text\" required></label><label>Days to decide <input type=\"number\" name=\"deadlineDays\" value=\"7\" min=\"1\" max=\"90\"></label>"
        + "<button type=\"submit\" id=\"file-request\">File request</button></form></fieldset>";

    /// <summary>Reads a request form.</summary>
    /// <param name="form">The form.</param>
    /// <returns>The input.</returns>
    internal static RequestInput ReadRequestForm(IFormCollection form)
    {
        long? sid = long.TryParse(form["sid"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        int? days = int.TryParse(form["deadlineDays"], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : null;
        return new RequestInput(form["participant"], [.. form["records"].Select(v => v ?? string.Empty)], form["from"], form["to"], sid, form["address"], form["purpose"], form["text"], days);
    }

    private static async Task<IResult> FileRequest(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var outcome = await PortalActions.FileRequestAsync(services, p, ReadRequestForm(form), http.RequestAborted);
        return outcome.Succeeded ? Results.Redirect($"/requests/{outcome.Value}", preserveMethod: false) : Error(p, StatusCodes.Status400BadRequest, outcome.Error!);
    }

    private static async Task<IResult> Request(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Error(p, StatusCodes.Status404NotFound, $"no request {id}");
        }

        var ledger = services.Consent.Ledger;
        ledger.TryGetRequest(requestId, out var r);
        var now = services.Time.GetUtcNow();
        var status = ledger.StatusOf(requestId, now);
        var b = new StringBuilder(RequestTable(services, [r]));
        if (status == RequestStatus.Pending && !p.IsStaff)
        {
            var epochs = await services.Consent.RequiredEpochsAsync(requestId, http.RequestAborted);
            b.Append("<fieldset><legend>Approve: present the key of each epoch (R8.6)</legend>")
                .Append("<p class=\"note\">Unwrap each epoch's key with your certificate's private key (<code>socs keys unwrap</code>, or <code>openssl pkeyutl</code> for RSA) using the <a href=\"/keys\">wrapped keys</a>, and paste it as hex. ")
                .Append("By approving you consent to the viewing and to its recording.</p>")
                .Append("<form method=\"post\" action=\"/requests/").Append(E(r.Id.ToString())).Append("/approve\">");
            foreach (var epoch in epochs)
            {
                b.Append("<label>Key of epoch ").Append(E(epoch.ToString())).Append(" <input type=\"text\" name=\"key-")
                    .Append(epoch.Index.ToString(CultureInfo.InvariantCulture)).Append("\" autocomplete=\"off\" spellcheck=\"false\"></label>");
            }

            if (epochs.Count == 0)
            {
                b.Append("<p>No stored record is in scope, so no key is needed.</p>");
            }

            b.Append("<label>Grant lasts (hours) <input type=\"number\" name=\"hours\" value=\"").Append(services.Options.DefaultGrantHours.ToString(CultureInfo.InvariantCulture))
                .Append("\" min=\"1\"></label><button type=\"submit\" id=\"approve\">Approve</button></form></fieldset>");
            b.Append("<fieldset><legend>Deny</legend><form method=\"post\" action=\"/requests/").Append(E(r.Id.ToString()))
                .Append("/deny\"><label>Reason <input type=\"text\" name=\"reason\" required></label><button type=\"submit\" id=\"deny\">Deny</button></form></fieldset>");
        }

        if (ledger.GrantOf(requestId) is { } grant)
        {
            b.Append("<h2>Grant</h2><p>").Append(E($"Grant {grant.Id} to {grant.Grantee}, epochs {string.Join(", ", grant.Epochs)}, until {Jst(grant.ExpiresAt)}"))
                .Append(E(grant.RevokedAt is { } at ? $", revoked {Jst(at)}" : string.Empty)).Append(".</p>");
            if (grant.IsLive(now) && grant.Grantee == p.Actor)
            {
                b.Append("<ul id=\"grant-records\">");
                foreach (var record in await RecordsInScopeAsync(services, grant, http.RequestAborted))
                {
                    b.Append("<li><a href=\"/grants/").Append(E(grant.Id.ToString())).Append("/records/").Append(E(record.Id.ToString())).Append("\">")
                        .Append(E($"{Jst(record.Header.ObservedAt)} sid {record.Rule.Sid} {record.Header.Source} → {record.Header.Destination}")).Append("</a></li>");
                }

                b.Append("</ul>");
            }

            if (grant.IsLive(now) && !p.IsStaff && grant.Participant == p.Participant)
            {
                b.Append("<form method=\"post\" action=\"/grants/").Append(E(grant.Id.ToString())).Append("/revoke\"><button type=\"submit\" id=\"revoke\">Revoke this grant</button></form>");
            }
        }

        return Page("Decryption request", p, b.ToString());
    }

    /// <summary>The first 100 records a grant covers, newest first.</summary>
    /// <param name="services">The services.</param>
    /// <param name="grant">The grant.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The records.</returns>
    internal static async Task<IReadOnlyList<DetectionRecord>> RecordsInScopeAsync(PortalServices services, Grant grant, CancellationToken cancellationToken)
    {
        switch (grant.Scope)
        {
            case ConsentScope.RecordList list:
                var found = new List<DetectionRecord>();
                foreach (var id in list.Ids.Take(100))
                {
                    if (await services.Detections.FindAsync(grant.Participant, id, cancellationToken) is { } r)
                    {
                        found.Add(r);
                    }
                }

                return found;
            case ConsentScope.TimeRange range:
                var page = await services.Detections.QueryAsync(new DetectionQuery { Participant = grant.Participant, From = range.From, To = range.To, RuleSid = range.Sid, Address = range.Address, Limit = 100 }, cancellationToken);
                return page.Records;
            default:
                return [];
        }
    }

    private static async Task<IResult> Approve(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Error(p, StatusCodes.Status404NotFound, $"no request {id}");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var keys = new Dictionary<long, string>();
        foreach (var (name, value) in form)
        {
            if (name.StartsWith("key-", StringComparison.Ordinal) && long.TryParse(name.AsSpan(4), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
            {
                keys[index] = value.ToString();
            }
        }

        int? hours = int.TryParse(form["hours"], NumberStyles.None, CultureInfo.InvariantCulture, out var h) ? h : null;
        var outcome = await PortalActions.ApproveAsync(services, p, requestId, keys, hours, http.RequestAborted);
        return outcome.Succeeded ? Results.Redirect($"/requests/{requestId}") : Error(p, StatusCodes.Status400BadRequest, outcome.Error!);
    }

    private static async Task<IResult> Deny(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!RequestId.TryParse(id, out var requestId) || !PortalActions.Visible(services, p, requestId))
        {
            return Error(p, StatusCodes.Status404NotFound, $"no request {id}");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var error = await services.Consent.DenyAsync(requestId, p.Actor, form["reason"].ToString(), http.RequestAborted);
        return error is null ? Results.Redirect($"/requests/{requestId}") : Error(p, StatusCodes.Status400BadRequest, error);
    }

    private static async Task<IResult> Revoke(HttpContext http, PortalServices services, string id)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!GrantId.TryParse(id, out var grantId) || !services.Consent.Ledger.TryGetGrant(grantId, out var grant) || grant.Participant != p.Participant)
        {
            return Error(p, StatusCodes.Status404NotFound, $"no grant {id}");
        }

        var error = await services.Consent.RevokeAsync(grantId, p.Actor, http.RequestAborted);
        return error is null ? Results.Redirect($"/requests/{grant.Request}") : Error(p, StatusCodes.Status400BadRequest, error);
    }

    private static async Task<IResult> View(HttpContext http, PortalServices services, string grant, string record)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!GrantId.TryParse(grant, out var grantId) || !PortalActions.TryRecordId(record, out var recordId)
            || !services.Consent.Ledger.TryGetGrant(grantId, out var g) || g.Grantee != p.Actor)
        {
            return Error(p, StatusCodes.Status404NotFound, $"no grant {grant} of yours");
        }

        var outcome = await services.Consent.ViewAsync(grantId, p.Actor, recordId, http.RequestAborted);
        if (!outcome.Succeeded)
        {
            return Error(p, StatusCodes.Status403Forbidden, outcome.Error!);
        }

        var body = new StringBuilder("<p class=\"note\">").Append(E($"Record {recordId} under grant {grantId}; this view is recorded in the operation history (R8.6)."))
            .Append("</p><pre id=\"content\">").Append(HexDump(outcome.Value!)).Append("</pre>");
        return Page("Content", p, body.ToString());
    }

    private static IResult Coverage(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var now = services.Time.GetUtcNow();
        var b = new StringBuilder("<p class=\"note\">Times when part of your monitored addresses were not monitored because of load (R5.2).</p>");
        b.Append("<table id=\"gaps\"><tr><th>Prefixes</th><th>From</th><th>Until</th><th>Reason</th><th>State</th></tr>");
        var gaps = PortalQueries.CoverageGaps(services.Registry.State, p.Participant);
        foreach (var x in gaps)
        {
            b.Append("<tr><td>").Append(E(string.Join(", ", x.Prefixes))).Append("</td><td>").Append(E(Jst(x.From))).Append("</td><td>")
                .Append(E(x.EndedAt is { } ended ? Jst(ended) : x.Until is { } until ? Jst(until) + " (planned)" : "open")).Append("</td><td>").Append(E(x.Reason))
                .Append("</td><td>").Append(x.EndedAt is null && (x.Until is null || x.Until > now) ? "in force" : "ended").Append("</td></tr>");
        }

        b.Append("</table>").Append(gaps.Count == 0 ? "<p>No coverage gaps.</p>" : string.Empty);
        return Page("Coverage gaps", p, b.ToString());
    }

    private static IResult Keys(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder("<p class=\"note\">Each epoch's key, wrapped to every certificate that was active for it (R8.1). Unwrap with the matching private key; past certificates too (R6.3).</p>");
        b.Append("<table id=\"keys\"><tr><th>Epoch</th><th>Wrapped to (certificate thumbprints)</th><th>Download</th></tr>");
        var sets = PortalQueries.WrappedKeys(services, p.Participant);
        foreach (var set in sets)
        {
            b.Append("<tr><td>").Append(E(set.Epoch.ToString())).Append("</td><td><code>").Append(E(string.Join("\n", set.Wrapped.Select(w => $"{w.Suite} {w.Thumbprint}"))))
                .Append("</code></td><td><a href=\"/keys/").Append(set.Epoch.Index.ToString(CultureInfo.InvariantCulture)).Append("/wrapped.json\">wrapped.json</a></td></tr>");
        }

        b.Append("</table>").Append(sets.Count == 0 ? "<p>No wrapped keys.</p>" : string.Empty);
        return Page("Wrapped keys", p, b.ToString());
    }

    private static IResult WrappedJson(HttpContext http, PortalServices services, string epoch)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        if (!long.TryParse(epoch, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) || !services.Keys.TryLoadWrappedSet(new EpochId(p.Participant, index), out var set))
        {
            return Error(p, StatusCodes.Status404NotFound, $"no wrapped key of epoch {epoch}");
        }

        return Results.File(Encoding.UTF8.GetBytes(set.ToJson()), "application/json", string.Create(CultureInfo.InvariantCulture, $"{p.Participant}-{index}-wrapped.json"));
    }

    private static IResult History(HttpContext http, PortalServices services, long? before)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var entries = PortalQueries.History(services, p.Participant, before, 100);
        var b = new StringBuilder("<p class=\"note\">Every operation on your data and by your operators, newest first (R6.4). Kept at least 3 months; never deleted on a schedule.</p>");
        b.Append("<table id=\"history\"><tr><th>#</th><th>When (JST)</th><th>Who</th><th>Operation</th><th>Subject</th><th>Details</th></tr>");
        foreach (var e in entries)
        {
            b.Append("<tr><td>").Append(e.Sequence.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(Jst(e.At))).Append("</td><td>").Append(E(e.Actor))
                .Append("</td><td>").Append(E(e.Action)).Append("</td><td>").Append(E(e.Subject)).Append("</td><td>").Append(E(e.Details)).Append("</td></tr>");
        }

        b.Append("</table>");
        if (entries.Count == 100)
        {
            b.Append("<p><a href=\"/history?before=").Append(entries[^1].Sequence.ToString(CultureInfo.InvariantCulture)).Append("\">Older →</a></p>");
        }

        return Page("Operation history", p, b.ToString());
    }

    private static async Task<IResult> Compromise(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var error = await PortalActions.ReportCompromiseAsync(services, p, form["note"], http.RequestAborted);
        return error is null
            ? Page("Certificate revoked", p, $"<p id=\"revoked\">Certificate <code>{E(p.Thumbprint)}</code> is revoked from now on (R6.2). Ask the organization for a new one, and keep this one's key: past epoch keys are wrapped to it (R6.3).</p>")
            : Error(p, StatusCodes.Status400BadRequest, error);
    }

    /// <summary>An address with its port.</summary>
    /// <param name="address">The address.</param>
    /// <param name="port">The port; null for none.</param>
    /// <returns>Such as <c>192.0.2.1:443</c> or <c>[2001:db8::1]:443</c>.</returns>
    internal static string Endpoint(System.Net.IPAddress address, ushort? port) =>
        port is null ? address.ToString()
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
        : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");

    /// <summary>A protocol number's name.</summary>
    /// <param name="protocol">The IP protocol number.</param>
    /// <returns>TCP, UDP, ICMP, ICMPv6, or the number.</returns>
    internal static string Protocol(byte protocol) => protocol switch
    {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "ICMPv6",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
