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
using static Nii.Socs.Host.Portal.PortalText;

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
    private static readonly string[] PurposeValues = ["investigation", "research", "ownreview", "other"];

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
        b.Append("<p>").Append(E(T("Signed in as"))).Append(" <strong id=\"who\">").Append(E(p.HistoryActor)).Append("</strong> · ").Append(E(T("with certificate"))).Append(" <code>").Append(E(p.Thumbprint)).Append("</code></p>");
        if (p.IsStaff)
        {
            b.Append("<p>").Append(E(T("Organization staff: see the participants, requests and fault access pages."))).Append(" <a href=\"/staff/procedures\">").Append(E(T("Procedures"))).Append("</a></p>");
        }
        else if (services.Registry.State.Participants.TryGetValue(p.Participant, out var entry))
        {
            b.Append("<p>").Append(E(T("Participant"))).Append(": <strong>").Append(E(entry.Name)).Append("</strong> (").Append(E(entry.Id.Value)).Append("), ").Append(E(T("monitored prefixes"))).Append(": ")
                .Append(E(string.Join(", ", entry.Prefixes))).Append(". ").Append(E(T("See your participation: status, period, agreements and procedure history."))).Append(" <a href=\"/participation\">").Append(E(T("Participation"))).Append("</a></p>");
            b.Append("<fieldset><legend>").Append(E(T("Report compromise (R6.2)"))).Append("</legend><p>")
                .Append(E(T("If this certificate or its key may be known to someone else, revoke it now. It stops working at once; ask the organization for a new one. Keep the old key: past epoch keys are wrapped to it (R6.3).")))
                .Append("</p><form method=\"post\" action=\"/compromise\"><label>").Append(E(T("What happened"))).Append(" <input type=\"text\" name=\"note\"></label>")
                .Append("<button type=\"submit\" id=\"report-compromise\">").Append(E(T("Revoke this certificate now"))).Append("</button></form></fieldset>");
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
        if (cursor is null && sid is null && address is null)
        {
            b.Append(await PortalCharts.DetectionsAsync(services, p.Participant, http.RequestAborted));
        }

        b.Append("<form method=\"get\" action=\"/detections\"><label>").Append(E(T("Rule sid"))).Append(" <input type=\"text\" name=\"sid\" value=\"").Append(E(sid)).Append("\"></label>")
            .Append("<label>").Append(E(T("Address (source or destination)"))).Append(" <input type=\"text\" name=\"address\" value=\"").Append(E(address)).Append("\"></label>")
            .Append("<button type=\"submit\" id=\"filter\">").Append(E(T("Filter"))).Append("</button></form>");
        b.Append("<p class=\"note\">").Append(E(T("Newest first. Times are JST. Content is sealed; file a decryption request to view it."))).Append("</p>");

        // The store pages by a cursor in time order; the headers sort the rows of this page.
        b.Append(PortalTable.Render(
            http,
            "detections",
            page.Records,
            [
                new PortalColumn<DetectionRecord>("time", "Observed (JST)", r => "<a href=\"/detections/" + E(r.Id.ToString()) + "\">" + Time(r.Header.ObservedAt) + "</a>" + Skew(r), r => r.Header.ObservedAt, "time"),
                new PortalColumn<DetectionRecord>("severity", "Severity", r => Severity(r.Rule.Priority), r => -r.Rule.Priority, "nowrap"),
                new PortalColumn<DetectionRecord>("rule", "Rule", r => E($"{r.Rule.Sid}: {r.Rule.Message}"), r => r.Rule.Sid),
                new PortalColumn<DetectionRecord>("src", "Source", r => E(Endpoint(r.Header.Source, r.Header.SourcePort)), r => r.Header.Source.ToString(), "nowrap"),
                new PortalColumn<DetectionRecord>("dst", "Destination", r => E(Endpoint(r.Header.Destination, r.Header.DestinationPort)), r => r.Header.Destination.ToString(), "nowrap"),
                new PortalColumn<DetectionRecord>("proto", "Proto", r => E(Protocol(r.Header.Protocol)), r => r.Header.Protocol),
                new PortalColumn<DetectionRecord>("content", "Content", r => E(T("{0} B sealed", r.Header.ContentLength)), r => r.Header.ContentLength, "num"),
            ],
            "time",
            defaultDescending: true,
            "No detections match.",
            paged: false));
        b.Append("<nav class=\"pager\">");
        if (cursor is not null)
        {
            b.Append("<a href=\"/detections?sid=").Append(E(U(sid))).Append("&amp;address=").Append(E(U(address))).Append("\">« ").Append(E(T("Newest detections"))).Append("</a>");
        }

        if (page.Next is { } next)
        {
            b.Append("<a id=\"next-page\" rel=\"next\" href=\"/detections?sid=").Append(E(U(sid))).Append("&amp;address=").Append(E(U(address)))
                .Append("&amp;cursor=").Append(E(U(next.ToString()))).Append("\">").Append(E(T("Older detections"))).Append(" →</a>");
        }

        b.Append("</nav>");
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
        var b = new StringBuilder("<table id=\"detection\">");
        void Row(string name, string html) => b.Append("<tr><th scope=\"row\">").Append(E(T(name))).Append("</th><td>").Append(html).Append("</td></tr>");
        Row("Record id", "<code>" + E(r.Id.ToString()) + "</code>");
        Row("Observed (JST)", Time(h.ObservedAt) + Skew(r));
        Row("Acquired (JST)", Time(r.AcquiredAt));
        Row("Severity", Severity(r.Rule.Priority));
        Row("Rule", E(string.Create(CultureInfo.InvariantCulture, $"sid {r.Rule.Sid} rev {r.Rule.Rev}: {r.Rule.Message}")));
        Row("Class type", E(r.Rule.ClassType ?? "-"));
        Row("Source", E(Endpoint(h.Source, h.SourcePort)));
        Row("Destination", E(Endpoint(h.Destination, h.DestinationPort)));
        Row("Protocol", E(Protocol(h.Protocol)));
        Row("TCP flags", E(TcpFlags(h.TcpFlags)));
        Row("Captured / wire length", E(T("{0} / {1}", h.CapturedLength, h.WireLength) + " " + T("bytes")));
        Row("Content (sealed, R7.1)", E(h.ContentLength.ToString(CultureInfo.InvariantCulture) + " " + T("bytes")));
        Row("Key epoch", E(r.Epoch.ToString()));
        Row("Source of detection", E(r.Source.ToString()));
        Row("Header bytes (hex)", "<details><summary>" + E(h.HeaderBytes.Length.ToString(CultureInfo.InvariantCulture)) + " " + E(T("bytes")) + "</summary><pre>" + HexDump(h.HeaderBytes.Span) + "</pre></details>");
        b.Append("</table>");
        var now = services.Time.GetUtcNow();
        var grants = services.Consent.Ledger.Grants.Where(g => g.Participant == p.Participant && g.Grantee == p.Actor && g.IsLive(now) && g.Scope.Covers(r) && services.Consent.HoldsKeys(g.Id)).ToList();
        foreach (var g in grants)
        {
            b.Append("<p><a href=\"/grants/").Append(E(g.Id.ToString())).Append("/records/").Append(E(r.Id.ToString())).Append("\">").Append(E(T("View content under grant {0}", g.Id)))
                .Append("</a></p>");
        }

        b.Append("<form method=\"post\" action=\"/requests\"><input type=\"hidden\" name=\"records\" value=\"").Append(E(r.Id.ToString())).Append("\">")
            .Append("<input type=\"hidden\" name=\"purpose\" value=\"ownreview\"><label>").Append(E(T("Purpose"))).Append(" <input type=\"text\" name=\"text\" value=\"").Append(E(T("review of this detection"))).Append("\"></label>")
            .Append("<button type=\"submit\" id=\"request-this\">").Append(E(T("Request decryption of this record"))).Append("</button></form>");
        return Page("Detection", p, b.ToString());
    }

    /// <summary>TCP flags by name, such as <c>SYN ACK (0x12)</c>; <c>-</c> without TCP.</summary>
    /// <param name="flags">The flags byte; null for none.</param>
    /// <returns>The names.</returns>
    internal static string TcpFlags(byte? flags)
    {
        if (flags is not { } f)
        {
            return "-";
        }

        string[] names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
        var set = names.Where((_, bit) => (f & (1 << bit)) != 0).ToList();
        return (set.Count == 0 ? "none" : string.Join(' ', set)) + " (0x" + f.ToString("x2", CultureInfo.InvariantCulture) + ")";
    }

    private static IResult Requests(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        return Page("Decryption requests", p, RequestTable(http, services, PortalQueries.Requests(services.Consent.Ledger, p.Participant), p) + RequestForm(staff: false));
    }

    /// <summary>The request table both the operator's and the staff's pages show: sortable, paged, each scope linked to its records.</summary>
    /// <param name="http">The request, for sorting and paging.</param>
    /// <param name="services">The services.</param>
    /// <param name="requests">The requests.</param>
    /// <param name="viewer">Who looks: operators get links to their detections, staff does not open detection pages.</param>
    /// <returns>The markup.</returns>
    internal static string RequestTable(HttpContext http, PortalServices services, IReadOnlyList<DecryptionRequest> requests, PortalPrincipal viewer)
    {
        var now = services.Time.GetUtcNow();
        var ledger = services.Consent.Ledger;
        return PortalTable.Render(
            http,
            "requests",
            requests,
            [
                new PortalColumn<DecryptionRequest>("id", "Request", r => "<a href=\"/requests/" + E(r.Id.ToString()) + "\">" + E(r.Id.ToString()) + "</a>", r => r.Id.ToString(), "nowrap"),
                new PortalColumn<DecryptionRequest>("participant", "Participant", r => E(r.Participant.Value), r => r.Participant.Value),
                new PortalColumn<DecryptionRequest>("requester", "Requester", r => E(r.Requester.ToString()), r => r.Requester.ToString()),
                new PortalColumn<DecryptionRequest>("scope", "Scope", r => ScopeHtml(r.Scope, viewer)),
                new PortalColumn<DecryptionRequest>("purpose", "Purpose", r => E(T(r.Purpose.ToString()) + ": " + r.PurposeText), r => r.Purpose.ToString()),
                new PortalColumn<DecryptionRequest>("deadline", "Deadline", r => Time(r.Deadline), r => r.Deadline, "time"),
                new PortalColumn<DecryptionRequest>("status", "Status", r => E(T(ledger.StatusOf(r.Id, now).ToString())), r => ledger.StatusOf(r.Id, now).ToString()),
            ],
            "deadline",
            defaultDescending: true,
            "No requests.");
    }

    /// <summary>A request's scope with links to its records: each listed record, or the detections page filtered as the range is.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="viewer">Who looks; staff gets the ids without links.</param>
    /// <returns>The markup.</returns>
    internal static string ScopeHtml(ConsentScope scope, PortalPrincipal viewer)
    {
        switch (scope)
        {
            case ConsentScope.RecordList list:
                var b = new StringBuilder(E(T("{0} record(s)", list.Ids.Count))).Append(":<br>");
                foreach (var id in list.Ids.Take(20))
                {
                    var text = E(id.ToString()[..8]) + "…";
                    b.Append(viewer.IsStaff ? "<code title=\"" + E(id.ToString()) + "\">" + text + "</code> " : "<a class=\"record\" href=\"/detections/" + E(id.ToString()) + "\" title=\"" + E(id.ToString()) + "\"><code>" + text + "</code></a> ");
                }

                return b.Append(list.Ids.Count > 20 ? "…" : string.Empty).ToString();
            case ConsentScope.TimeRange range:
                var words = Time(range.From) + " – " + Time(range.To)
                    + (range.Sid is { } sid ? E(string.Create(CultureInfo.InvariantCulture, $" sid {sid}")) : string.Empty)
                    + (range.Address is { } a ? E($" {a}") : string.Empty);
                return viewer.IsStaff
                    ? words
                    : words + " <a class=\"record\" href=\"/detections?sid=" + E(U(range.Sid?.ToString(CultureInfo.InvariantCulture))) + "&amp;address=" + E(U(range.Address?.ToString())) + "\">" + E(T("Detections")) + " →</a>";
            default:
                return E(scope.ToString());
        }
    }

    /// <summary>The form that files a request.</summary>
    /// <param name="staff">Whether to ask for the participant.</param>
    /// <returns>The markup.</returns>
    internal static string RequestForm(bool staff) =>
        "<fieldset><legend>" + E(T("File a decryption request (R8.5)")) + "</legend><form method=\"post\" action=\"" + (staff ? "/staff/requests" : "/requests") + "\">"
        + (staff ? "<label>" + E(T("Participant")) + " <input type=\"text\" name=\"participant\" required></label>" : string.Empty)
        + "<label>" + E(T("Record ids (one per line)")) + " <textarea name=\"records\" rows=\"3\"></textarea></label>"
        + "<p class=\"note\">" + E(T("or a time range (JST):")) + "</p><label>" + E(T("From")) + " <input type=\"datetime-local\" name=\"from\"></label><label>" + E(T("To")) + " <input type=\"datetime-local\" name=\"to\"></label>"
        + "<label>" + E(T("Only rule sid")) + " <input type=\"text\" name=\"sid\"></label><label>" + E(T("Only address")) + " <input type=\"text\" name=\"address\"></label>"
        + "<label>" + E(T("Purpose")) + " <select name=\"purpose\">" + string.Concat(PurposeValues.Select(v => "<option value=\"" + v + "\">" + E(T(v)) + "</option>")) + "</select></label>"
        + "<label>" + E(T("Stated purpose")) + " <input type=\"text\" name=\"text\" required></label><label>" + E(T("Days to decide")) + " <input type=\"number\" name=\"deadlineDays\" value=\"7\" min=\"1\" max=\"90\"></label>"
        + "<button type=\"submit\" id=\"file-request\">" + E(T("File request")) + "</button></form></fieldset>";

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
        var b = new StringBuilder(RequestTable(http, services, [r], p));
        if (status == RequestStatus.Pending && !p.IsStaff)
        {
            var epochs = await services.Consent.RequiredEpochsAsync(requestId, http.RequestAborted);
            b.Append("<fieldset><legend>").Append(E(T("Approve: present the key of each epoch (R8.6)"))).Append("</legend>")
                .Append("<p class=\"note\">").Append(E(T("Unwrap each epoch's key with your certificate's private key (socs keys unwrap, or openssl pkeyutl for RSA) using the wrapped keys, and paste it as hex. By approving you consent to the viewing and to its recording.")))
                .Append(" <a href=\"/keys\">").Append(E(T("Wrapped keys"))).Append("</a></p>")
                .Append("<form method=\"post\" action=\"/requests/").Append(E(r.Id.ToString())).Append("/approve\">");
            foreach (var epoch in epochs)
            {
                b.Append("<label>").Append(E(T("Key of epoch {0}", epoch))).Append(" <input type=\"text\" name=\"key-")
                    .Append(epoch.Index.ToString(CultureInfo.InvariantCulture)).Append("\" autocomplete=\"off\" spellcheck=\"false\"></label>");
            }

            if (epochs.Count == 0)
            {
                b.Append("<p>").Append(E(T("No stored record is in scope, so no key is needed."))).Append("</p>");
            }

            b.Append("<label>").Append(E(T("Grant lasts (hours)"))).Append(" <input type=\"number\" name=\"hours\" value=\"").Append(services.Options.DefaultGrantHours.ToString(CultureInfo.InvariantCulture))
                .Append("\" min=\"1\"></label><button type=\"submit\" id=\"approve\">").Append(E(T("Approve"))).Append("</button></form></fieldset>");
            b.Append("<fieldset><legend>").Append(E(T("Deny"))).Append("</legend><form method=\"post\" action=\"/requests/").Append(E(r.Id.ToString()))
                .Append("/deny\"><label>").Append(E(T("Reason"))).Append(" <input type=\"text\" name=\"reason\" required></label><button type=\"submit\" id=\"deny\">").Append(E(T("Deny"))).Append("</button></form></fieldset>");
        }

        if (ledger.GrantOf(requestId) is { } grant)
        {
            // The grant's state is what viewing can do: live only while its keys are held too.
            var live = grant.IsLive(now);
            var usable = live && services.Consent.HoldsKeys(grant.Id);
            var state = usable ? T("live: viewing works") : live ? T("live, but its keys are no longer held (the service restarted): viewing needs a new request") : T("ended");
            b.Append("<h2>").Append(E(T("Grant"))).Append("</h2><p id=\"grant-state\" data-state=\"").Append(usable ? "live" : live ? "keys-released" : "ended").Append("\">")
                .Append(E(T("Grant {0} to {1}, epochs {2}, until {3}", grant.Id, grant.Grantee, string.Join(", ", grant.Epochs), Jst(grant.ExpiresAt))))
                .Append(E(grant.RevokedAt is { } at ? T(", revoked {0}", Jst(at)) : string.Empty)).Append(". <strong>").Append(E(state)).Append("</strong></p>");
            if (usable && grant.Grantee == p.Actor)
            {
                b.Append("<ul id=\"grant-records\">");
                foreach (var record in await RecordsInScopeAsync(services, grant, http.RequestAborted))
                {
                    b.Append("<li><a href=\"/grants/").Append(E(grant.Id.ToString())).Append("/records/").Append(E(record.Id.ToString())).Append("\">")
                        .Append(Time(record.Header.ObservedAt)).Append(E($" sid {record.Rule.Sid} {record.Header.Source} → {record.Header.Destination}")).Append("</a></li>");
                }

                b.Append("</ul>");
            }

            if (usable && !p.IsStaff && grant.Participant == p.Participant)
            {
                b.Append("<form method=\"post\" action=\"/grants/").Append(E(grant.Id.ToString())).Append("/revoke\"><button type=\"submit\" id=\"revoke\">").Append(E(T("Revoke this grant"))).Append("</button></form>");
            }
        }
        else if (!p.IsStaff)
        {
            // Before any grant, the request still links to the records it covers (their headers, not their content).
            var records = await RecordsInScopeAsync(services, r.Participant, r.Scope, http.RequestAborted);
            b.Append("<h2>").Append(E(T("Records in scope"))).Append("</h2><ul id=\"scope-records\">");
            foreach (var record in records)
            {
                b.Append("<li><a href=\"/detections/").Append(E(record.Id.ToString())).Append("\">").Append(Time(record.Header.ObservedAt))
                    .Append(E($" sid {record.Rule.Sid} {record.Header.Source} → {record.Header.Destination}")).Append("</a></li>");
            }

            b.Append("</ul>");
        }

        return Page("Decryption request", p, b.ToString());
    }

    /// <summary>The first 100 records a grant covers, newest first.</summary>
    /// <param name="services">The services.</param>
    /// <param name="grant">The grant.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The records.</returns>
    internal static Task<IReadOnlyList<DetectionRecord>> RecordsInScopeAsync(PortalServices services, Grant grant, CancellationToken cancellationToken) =>
        RecordsInScopeAsync(services, grant.Participant, grant.Scope, cancellationToken);

    /// <summary>The first 100 records a scope covers, newest first.</summary>
    /// <param name="services">The services.</param>
    /// <param name="participant">Whose records.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The records.</returns>
    internal static async Task<IReadOnlyList<DetectionRecord>> RecordsInScopeAsync(PortalServices services, Core.Participants.ParticipantId participant, ConsentScope scope, CancellationToken cancellationToken)
    {
        switch (scope)
        {
            case ConsentScope.RecordList list:
                var found = new List<DetectionRecord>();
                foreach (var id in list.Ids.Take(100))
                {
                    if (await services.Detections.FindAsync(participant, id, cancellationToken) is { } r)
                    {
                        found.Add(r);
                    }
                }

                return found;
            case ConsentScope.TimeRange range:
                var page = await services.Detections.QueryAsync(new DetectionQuery { Participant = participant, From = range.From, To = range.To, RuleSid = range.Sid, Address = range.Address, Limit = 100 }, cancellationToken);
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

        var body = new StringBuilder("<p class=\"note\">").Append(E(T("Record {0} under grant {1}; this view is recorded in the operation history (R8.6).", recordId, grantId)))
            .Append("</p><pre id=\"content\">").Append(HexDump(outcome.Value!)).Append("</pre>");
        return Page("Content", p, body.ToString());
    }

    private static IResult Coverage(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var now = services.Time.GetUtcNow();
        var gaps = PortalQueries.CoverageGaps(services.Registry.State, p.Participant);
        var b = new StringBuilder("<p class=\"note\">").Append(E(T("Times when part of your monitored addresses were not monitored because of load (R5.2)."))).Append("</p>");
        b.Append(PortalCharts.Coverage(gaps, now));
        b.Append(PortalTable.Render(
            http,
            "gaps",
            gaps,
            [
                new PortalColumn<Core.Participants.Registry.ExclusionEntry>("prefixes", "Prefixes", x => E(string.Join(", ", x.Prefixes)), x => string.Join(", ", x.Prefixes)),
                new PortalColumn<Core.Participants.Registry.ExclusionEntry>("from", "From", x => Time(x.From), x => x.From, "time"),
                new PortalColumn<Core.Participants.Registry.ExclusionEntry>("until", "Until", x => x.EndedAt is { } ended ? Time(ended) : x.Until is { } until ? Time(until) + " (" + E(T("planned")) + ")" : E(T("open")), x => x.EndedAt ?? x.Until, "time"),
                new PortalColumn<Core.Participants.Registry.ExclusionEntry>("reason", "Reason", x => E(x.Reason), x => x.Reason),
                new PortalColumn<Core.Participants.Registry.ExclusionEntry>("state", "State", x => E(T(x.EndedAt is null && (x.Until is null || x.Until > now) ? "in force" : "ended"))),
            ],
            "from",
            defaultDescending: true,
            "No coverage gaps."));
        return Page("Coverage gaps", p, b.ToString());
    }

    private static IResult Keys(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var b = new StringBuilder("<p class=\"note\">").Append(E(T("Each epoch's key, wrapped to every certificate that was active for it (R8.1). Unwrap with the matching private key; past certificates too (R6.3)."))).Append("</p>");
        var sets = PortalQueries.WrappedKeys(services, p.Participant);
        b.Append(PortalTable.Render(
            http,
            "keys",
            sets,
            [
                new PortalColumn<WrappedKeySet>("epoch", "Epoch", set => E(set.Epoch.ToString()), set => set.Epoch.Index, "nowrap"),
                new PortalColumn<WrappedKeySet>("wrapped", "Wrapped to (certificate thumbprints)", set => "<code>" + E(string.Join("\n", set.Wrapped.Select(w => $"{w.Suite} {w.Thumbprint}"))) + "</code>"),
                new PortalColumn<WrappedKeySet>("download", "Download", set => "<a href=\"/keys/" + set.Epoch.Index.ToString(CultureInfo.InvariantCulture) + "/wrapped.json\">wrapped.json</a>"),
            ],
            "epoch",
            defaultDescending: true,
            "No wrapped keys."));
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
        var b = new StringBuilder("<p class=\"note\">").Append(E(T("Every operation on your data and by your operators, newest first (R6.4). Kept at least 3 months; never deleted on a schedule."))).Append("</p>");
        b.Append(PortalCharts.History(entries));
        b.Append(PortalTable.Render(
            http,
            "history",
            entries,
            [
                new PortalColumn<Core.Audit.OperationEntry>("seq", "#", e => e.Sequence.ToString(CultureInfo.InvariantCulture), e => e.Sequence, "num"),
                new PortalColumn<Core.Audit.OperationEntry>("when", "When (JST)", e => Time(e.At), e => e.At, "time"),
                new PortalColumn<Core.Audit.OperationEntry>("who", "Who", e => E(e.Actor), e => e.Actor),
                new PortalColumn<Core.Audit.OperationEntry>("action", "Operation", e => E(e.Action), e => e.Action),
                new PortalColumn<Core.Audit.OperationEntry>("subject", "Subject", e => E(e.Subject), e => e.Subject),
                new PortalColumn<Core.Audit.OperationEntry>("details", "Details", e => E(e.Details)),
            ],
            "seq",
            defaultDescending: true,
            "No requests.",
            paged: false));
        if (services.SignedHistory?.LastCheckpoint is { } checkpoint)
        {
            // R6.4: the participant's own copy of the latest checkpoint is a witness the organization does not control.
            b.Append("<p class=\"note\" id=\"checkpoint\">").Append(E(T("Latest signed checkpoint (keep a copy; socs audit verify checks the history still extends it; also at /api/history/checkpoint):"))).Append(" <code>")
                .Append(E(checkpoint.ToLine())).Append("</code> <code>").Append(E(Convert.ToHexStringLower(services.SignedHistory.SigningPublicKey.Span))).Append("</code></p>");
        }

        if (entries.Count == 100)
        {
            b.Append("<nav class=\"pager\"><a rel=\"next\" href=\"/history?before=").Append(entries[^1].Sequence.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(E(T("Older"))).Append(" →</a></nav>");
        }

        return Page("Operation history", p, b.ToString());
    }

    private static async Task<IResult> Compromise(HttpContext http, PortalServices services)
    {
        var p = PortalAuthentication.PrincipalOf(http);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var error = await PortalActions.ReportCompromiseAsync(services, p, form["note"], http.RequestAborted);
        return error is null
            ? Page("Certificate revoked", p, $"<p id=\"revoked\">{E(T("Certificate"))} <code>{E(p.Thumbprint)}</code>: {E(T("revoked from now on (R6.2). Ask the organization for a new one, and keep this one's key: past epoch keys are wrapped to it (R6.3)."))}</p>")
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

    /// <summary>The mark of a record whose observation time is far from its acquisition (R7.3, <see cref="Core.Detections.ObservationSkew"/>).</summary>
    private static string Skew(Core.Detections.DetectionRecord r) =>
        r.ObservationSkewed ? " <span class=\"skew\" title=\"" + E(T("observation time far from acquisition (sensor clock?); retention counts from acquisition")) + "\">⚠</span>" : string.Empty;
}
