using System.Globalization;
using System.Net;
using System.Text;
using Nii.Socs.Core.Inspection;

namespace Nii.Socs.Host.Inspection;

/// <summary>Renders an <see cref="InspectionReport"/> as one self-contained HTML page: tables and inline SVG charts (R13.1).</summary>
/// <remarks>No script, no external style sheet, font or image: the page prints to PDF as it shows. Every text from
/// stored data is HTML-encoded.</remarks>
internal static class InspectionHtml
{
    private const int ChartWidth = 720;
    private const int ChartHeight = 180;
    private const int Margin = 36;
    private const string DetectionsColour = "#0072B2";
    private const string CoverageColour = "#D55E00";
    private const string ApprovedColour = "#009E73";
    private const string DeniedColour = "#CC79A7";

    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#111;max-width:60rem}
        h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #888;margin-top:2rem}
        table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}th,td{border:1px solid #aaa;padding:.2rem .45rem;text-align:left;vertical-align:top}
        th{background:#eee}td.n{text-align:right}.ok{color:#064}.bad{color:#a00;font-weight:bold}
        svg{display:block;margin:.5rem 0;max-width:100%;height:auto}svg text{font-size:10px;fill:#333}
        .legend span{display:inline-block;margin-right:1rem;font-size:.8rem}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
        svg text.axis-title{font-size:11px;fill:#111}td.empty{color:#444;font-style:italic}
        @media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg,figure{break-inside:avoid}a{color:inherit}}
        """;

    public static string Render(InspectionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>NII-SOCS inspection ")
            .Append(report.Year.ToString(CultureInfo.InvariantCulture))
            .Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>NII-SOCS yearly inspection report ").Append(report.Year.ToString(CultureInfo.InvariantCulture)).Append("</h1>\n");
        html.Append("<p>Period ").Append(E(Iso(report.From))).Append(" – ").Append(E(Iso(report.Until)))
            .Append(", state read ").Append(E(Iso(report.AsOf))).Append(". Result: ")
            .Append(report.Clean ? "<span class=\"ok\">no findings</span>" : $"<span class=\"bad\">{report.Findings.Count} finding(s)</span>").Append(".</p>\n");

        Findings(html, report.Findings);
        Charts(html, report);
        Retention(html, report.Retention);
        Keys(html, report.Keys);
        Consent(html, report.Consent);
        History(html, report.History);
        Monitoring(html, report.Monitoring);
        Notifications(html, report.Notifications);
        Participants(html, report.Participants);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Findings(StringBuilder html, IReadOnlyList<Finding> findings)
    {
        html.Append("<h2 id=\"findings\">Findings</h2>\n");
        if (findings.Count == 0)
        {
            html.Append("<p class=\"ok\">No deviation found.</p>\n");
            return;
        }

        Table(html, ["Code", "Requirement", "What happened", "History entries", "Other evidence"], findings.Select(f => new[]
        {
            E(f.Code), E(f.Requirement), E(f.Message),
            E(string.Join(", ", f.HistoryEntries.Select(s => "#" + s.ToString(CultureInfo.InvariantCulture)))),
            E(string.Join(", ", f.OtherEvidence)),
        }));
    }

    private static void Charts(StringBuilder html, InspectionReport report)
    {
        var weeks = report.Monitoring.Weeks;
        html.Append("<h2 id=\"charts\">Detections and coverage per week</h2>\n");
        html.Append("<figure><svg id=\"chart-detections\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ")
            .Append(Num(ChartWidth)).Append(' ').Append(Num(ChartHeight)).Append("\" role=\"img\" aria-label=\"Detections per week\">");
        Axes(html);
        var most = weeks.Count == 0 ? 0 : weeks.Max(w => w.Detections);
        var max = Math.Max(1, most);
        var slot = weeks.Count == 0 ? 0 : (ChartWidth - (2.0 * Margin)) / weeks.Count;
        for (var i = 0; i < weeks.Count; i++)
        {
            var h = (ChartHeight - (2.0 * Margin)) * weeks[i].Detections / max;
            html.Append("<rect class=\"bar\" x=\"").Append(Num(Margin + (i * slot) + 1)).Append("\" y=\"").Append(Num(ChartHeight - Margin - h))
                .Append("\" width=\"").Append(Num(Math.Max(1, slot - 2))).Append("\" height=\"").Append(Num(h)).Append("\" fill=\"").Append(DetectionsColour).Append("\"><title>")
                .Append(E(weeks[i].Monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append(": ")
                .Append(weeks[i].Detections.ToString(CultureInfo.InvariantCulture)).Append(" detection(s)</title></rect>");
        }

        // A tick at the first week of each month.
        for (var i = 0; i < weeks.Count; i++)
        {
            var last = weeks[i].Monday.AddDays(6);
            if (last.Day <= 7 && last.Year == report.Year)
            {
                html.Append("<text x=\"").Append(Num(Margin + (i * slot))).Append("\" y=\"").Append(Num(ChartHeight - Margin + 12)).Append("\">")
                    .Append(last.Month.ToString("D2", CultureInfo.InvariantCulture)).Append("</text>");
            }
        }

        // Coverage on the same time axis, 0–100 % over the full height.
        if (weeks.Count > 0)
        {
            html.Append("<polyline id=\"coverage\" fill=\"none\" stroke=\"").Append(CoverageColour).Append("\" stroke-width=\"2\" points=\"");
            for (var i = 0; i < weeks.Count; i++)
            {
                var y = ChartHeight - Margin - ((ChartHeight - (2.0 * Margin)) * weeks[i].Coverage);
                html.Append(Num(Margin + (i * slot) + (slot / 2))).Append(',').Append(Num(y)).Append(' ');
            }

            html.Append("\"/>");
        }

        YAxis(html, max, "detections per week");
        RightAxis(html, "monitored share (%)");
        XTitle(html, "week of the year (ticks: first week of each month, JST)");
        html.Append("</svg>")
            .Append("<figcaption class=\"legend\"><span><i style=\"background:").Append(DetectionsColour).Append("\"></i>detections still stored</span>")
            .Append("<span><i style=\"background:").Append(CoverageColour).Append(";height:.2em;vertical-align:.25em\"></i>monitored share (R5.2)</span></figcaption></figure>\n");

        var months = Enumerable.Range(1, 12).Select(m => $"{report.Year:D4}-{m:D2}").ToList();
        var decisions = report.Consent.DecisionsPerMonth.ToDictionary(d => d.Month, StringComparer.Ordinal);
        var maxDecisions = Math.Max(1, months.Max(m => decisions.TryGetValue(m, out var d) ? d.Approved + d.Denied : 0));
        var monthSlot = (ChartWidth - (2.0 * Margin)) / 12;
        html.Append("<h2 id=\"decisions-chart\">Decisions per month</h2>\n<figure><svg id=\"chart-decisions\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ")
            .Append(Num(ChartWidth)).Append(' ').Append(Num(ChartHeight)).Append("\" role=\"img\" aria-label=\"Decisions per month\">");
        Axes(html);
        for (var i = 0; i < 12; i++)
        {
            decisions.TryGetValue(months[i], out var d);
            var approved = (ChartHeight - (2.0 * Margin)) * (d?.Approved ?? 0) / maxDecisions;
            var denied = (ChartHeight - (2.0 * Margin)) * (d?.Denied ?? 0) / maxDecisions;
            var x = Margin + (i * monthSlot) + 4;
            html.Append("<rect class=\"bar\" x=\"").Append(Num(x)).Append("\" y=\"").Append(Num(ChartHeight - Margin - approved)).Append("\" width=\"")
                .Append(Num(monthSlot - 8)).Append("\" height=\"").Append(Num(approved)).Append("\" fill=\"").Append(ApprovedColour).Append("\"><title>").Append(months[i]).Append(" approved ")
                .Append((d?.Approved ?? 0).ToString(CultureInfo.InvariantCulture)).Append("</title></rect>");
            html.Append("<rect class=\"bar\" x=\"").Append(Num(x)).Append("\" y=\"").Append(Num(ChartHeight - Margin - approved - denied)).Append("\" width=\"")
                .Append(Num(monthSlot - 8)).Append("\" height=\"").Append(Num(denied)).Append("\" fill=\"").Append(DeniedColour).Append("\"><title>").Append(months[i]).Append(" denied ")
                .Append((d?.Denied ?? 0).ToString(CultureInfo.InvariantCulture)).Append("</title></rect>");
            html.Append("<text x=\"").Append(Num(x)).Append("\" y=\"").Append(Num(ChartHeight - Margin + 12)).Append("\">").Append(months[i][5..]).Append("</text>");
        }

        YAxis(html, maxDecisions, "decisions per month");
        XTitle(html, "month (JST)");
        html.Append("</svg><figcaption class=\"legend\"><span><i style=\"background:").Append(ApprovedColour).Append("\"></i>approved</span><span><i style=\"background:")
            .Append(DeniedColour).Append("\"></i>denied</span></figcaption></figure>\n");
    }

    /// <summary>Tick values 0, half and the maximum on the left, and the axis title turned upright.</summary>
    private static void YAxis(StringBuilder html, long max, string title)
    {
        foreach (var value in new[] { 0L, max / 2, max }.Distinct())
        {
            var y = ChartHeight - Margin - ((ChartHeight - (2.0 * Margin)) * value / Math.Max(1, max));
            html.Append("<text x=\"").Append(Num(Margin - 4)).Append("\" y=\"").Append(Num(y + 3)).Append("\" text-anchor=\"end\">").Append(N(value)).Append("</text>");
        }

        html.Append("<text class=\"axis-title\" transform=\"translate(10 ").Append(Num(ChartHeight / 2.0)).Append(") rotate(-90)\" text-anchor=\"middle\">").Append(E(title)).Append("</text>");
    }

    /// <summary>The share axis on the right: 0 % at the bottom, 100 % at the top.</summary>
    private static void RightAxis(StringBuilder html, string title)
    {
        html.Append("<text x=\"").Append(Num(ChartWidth - Margin + 4)).Append("\" y=\"").Append(Num(ChartHeight - Margin + 3)).Append("\">0</text>")
            .Append("<text x=\"").Append(Num(ChartWidth - Margin + 4)).Append("\" y=\"").Append(Num(Margin + 3)).Append("\">100</text>")
            .Append("<text class=\"axis-title\" transform=\"translate(").Append(Num(ChartWidth - 6)).Append(' ').Append(Num(ChartHeight / 2.0)).Append(") rotate(90)\" text-anchor=\"middle\">")
            .Append(E(title)).Append("</text>");
    }

    private static void XTitle(StringBuilder html, string title) =>
        html.Append("<text class=\"axis-title\" x=\"").Append(Num(ChartWidth / 2.0)).Append("\" y=\"").Append(Num(ChartHeight - 1)).Append("\" text-anchor=\"middle\">").Append(E(title)).Append("</text>");

    private static void Axes(StringBuilder html) =>
        html.Append("<line x1=\"").Append(Num(Margin)).Append("\" y1=\"").Append(Num(ChartHeight - Margin)).Append("\" x2=\"").Append(Num(ChartWidth - Margin))
            .Append("\" y2=\"").Append(Num(ChartHeight - Margin)).Append("\" stroke=\"#333\"/><line x1=\"").Append(Num(Margin)).Append("\" y1=\"").Append(Num(Margin))
            .Append("\" x2=\"").Append(Num(Margin)).Append("\" y2=\"").Append(Num(ChartHeight - Margin)).Append("\" stroke=\"#333\"/>");

    private static void Retention(StringBuilder html, InspectionReport.RetentionSection r)
    {
        html.Append("<h2 id=\"retention\">Retention (R7.3)</h2>\n<p>")
            .Append(r.DeletionsInYear.ToString(CultureInfo.InvariantCulture)).Append(" partition(s) deleted in the year, ")
            .Append(r.LateDeletions.ToString(CultureInfo.InvariantCulture)).Append(" late.</p>\n");
        Table(html, ["Participant", "Partitions", "Records", "Oldest month", "Its expiry", "Past expiry", "Deleted in year"], r.Participants.Select(p => new[]
        {
            E(p.Participant), N(p.Partitions), N(p.Records), E(p.OldestMonth ?? "—"), E(p.OldestExpiry is { } x ? Iso(x) : "—"), N(p.PartitionsPastExpiry), N(p.DeletedInYear),
        }), "No detection partition is stored: nothing is kept, so nothing can be kept too long.");
        html.Append("<p>Agreements</p>\n");
        Table(html, ["Participant", "Months", "Effective from", "In force"], r.Agreements.Select(a => new[]
        {
            E(a.Participant), N(a.Months), E(a.EffectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), a.InForce ? "yes" : "no",
        }), "No participant agreed on another retention: every partition is kept for the default 3 months after its month (R7.3).");
    }

    private static void Keys(StringBuilder html, InspectionReport.KeysSection k)
    {
        html.Append("<h2 id=\"keys\">Keys (R8.2–R8.4)</h2>\n<p>")
            .Append(k.WrappedSetsDeleted.ToString(CultureInfo.InvariantCulture)).Append(" wrapped key set(s) deleted in the year.</p>\n");
        Table(html, ["Participant", "Epochs created", "Destroyed", "Late", "Missing", "Longest delay (h)"], k.Participants.Select(p => new[]
        {
            E(p.Participant), N(p.EpochsCreated), N(p.Destroyed), N(p.Late), N(p.Missing), D(p.MaxDelayHours),
        }), "No epoch key was created in the year: no participant was monitored.");
        if (k.Warnings.Count > 0)
        {
            html.Append("<p>Warning: epochs wrapped only to revoked certificates (the participant needs its past certificates, R6.3)</p>\n");
            Table(html, ["Participant", "Epoch", "Certificates"], k.Warnings.Select(w => new[] { E(w.Participant), N(w.Epoch), E(string.Join(", ", w.Thumbprints)) }));
        }
    }

    private static void Consent(StringBuilder html, InspectionReport.ConsentSection c)
    {
        html.Append("<h2 id=\"consent\">Consent (R7.2, R8.5, R8.6)</h2>\n");
        Table(html, ["Approved", "Denied", "Expired", "Pending", "Mean decision (service h)", "Longest (service h)", "Views", "Covered by a grant"], [[
            N(c.Approved), N(c.Denied), N(c.Expired), N(c.Pending), D(c.DecisionHoursMean), D(c.DecisionHoursMax), N(c.Views), N(c.ViewsCovered),
        ]]);
        Table(html, ["Requester", "Requests"], c.RequestsByRequester.Select(x => new[] { E(x.Key), N(x.Count) }), "No decryption request was filed in the year.");
        Table(html, ["Staff requests outside service hours (R10.1)", "Fault accesses outside service hours (R10.1)"], [[N(c.StaffRequestsOutsideServiceHours), N(c.FaultAccessesOutsideServiceHours)]], "");
        Table(html, ["Purpose", "Requests"], c.RequestsByPurpose.Select(x => new[] { E(x.Key), N(x.Count) }), "No decryption request was filed in the year.");
        html.Append("<p>Fault accesses</p>\n");
        Table(html, ["Event", "At", "Outside service hours", "Participant", "Record", "Staff", "Reason", "Incident", "Participant told"], c.FaultAccesses.Select(f => new[]
        {
            "consent#" + N(f.Event), E(Iso(f.At)), f.OutsideServiceHours ? "yes" : "no", E(f.Participant), E(f.Record), E(f.Staff), E(f.Reason), E(f.Incident),
            f.NoticeEntry is { } n ? "yes, #" + N(n) : "<span class=\"bad\">no</span>",
        }), "No fault access in the year: staff opened no content without consent (R7.2).");
    }

    private static void History(StringBuilder html, InspectionReport.HistorySection h)
    {
        html.Append("<h2 id=\"history\">Operation history (R6.4)</h2>\n");
        Table(html, ["Verification", "Entries", "In year", "First", "Last", "Nothing removed"], [[
            h.Intact ? "<span class=\"ok\">" + E(h.Verification) + "</span>" : "<span class=\"bad\">" + E(h.Verification) + "</span>",
            N(h.Entries), N(h.EntriesInYear),
            h.First is { } f ? "#" + N(f.Sequence) + " " + E(Iso(f.At)) : "—",
            h.Last is { } l ? "#" + N(l.Sequence) + " " + E(Iso(l.At)) : "—",
            h.NothingRemoved ? "yes" : "<span class=\"bad\">no</span>",
        ]]);
        Table(html, ["Action", "Entries in year"], h.ActionsInYear.Select(x => new[] { E(x.Key), N(x.Count) }), "No operation was recorded in the year.");
    }

    private static void Monitoring(StringBuilder html, InspectionReport.MonitoringSection m)
    {
        html.Append("<h2 id=\"monitoring\">Monitoring (R5)</h2>\n");
        Table(html, ["Participant", "Exclusions", "Excluded hours in year"], m.Participants.Select(p => new[] { E(p.Participant), N(p.Exclusions), D(p.ExcludedHours) }), "No participant was registered for monitoring in the year.");
        Table(html, ["Exclusion", "Prefixes", "From", "Until", "Reason", "Hours in year"], m.Exclusions.Select(x => new[]
        {
            E(x.Id), E(string.Join(", ", x.Prefixes)), E(Iso(x.From)), E(x.Until is { } u ? Iso(u) : "open"), E(x.Reason), D(x.HoursInYear),
        }), "No prefix was excluded from monitoring under load in the year: coverage was complete (R5.2).");
    }

    private static void Notifications(StringBuilder html, InspectionReport.NotificationsSection n)
    {
        html.Append("<h2 id=\"notifications\">Notifications (R4.5, R4.6)</h2>\n");
        Table(html, ["Sent", "Digests", "Follow-ups", "Failures", "Retries"], [[N(n.Sent), N(n.Digests), N(n.FollowUps), N(n.Failures), N(n.Retries)]]);
        Table(html, ["Mail action", "Entries"], n.ByAction.Select(x => new[] { E(x.Key), N(x.Count) }), "No notification mail was queued or sent in the year: no detection reached the importance thresholds (R4.5).");
    }

    private static void Participants(StringBuilder html, InspectionReport.ParticipantsSection p)
    {
        html.Append("<h2 id=\"participants\">Participants (R3, R11, R12)</h2>\n");
        Table(html, ["Approvals", "Refusals", "Renewals", "Terminations", "Active now"], [[N(p.Approvals), N(p.Refusals), N(p.Renewals), N(p.Terminations.Count), N(p.Active)]]);
        Table(html, ["Refusal reason", "Refusals"], p.RefusalsByReason.Select(x => new[] { E(x.Key), N(x.Count) }), "No application was refused in the year.");
        Table(html, ["Terminated participant", "Recorded", "Effective from"], p.Terminations.Select(t => new[]
        {
            E(t.Participant), E(Iso(t.RecordedAt)), E(t.EffectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        }), "No participant terminated its use in the year.");
    }

    private static void Table(StringBuilder html, string[] headers, IEnumerable<string[]> rows, string empty = "none")
    {
        html.Append("<table><thead><tr>");
        foreach (var h in headers)
        {
            html.Append("<th>").Append(E(h)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(cell).Append("</td>");
            }

            html.Append("</tr>");
        }

        if (!any)
        {
            html.Append("<tr><td class=\"empty\" colspan=\"").Append(headers.Length.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(E(empty)).Append("</td></tr>");
        }

        html.Append("</tbody></table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string D(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset instant) => Cli.CliOutput.Instant(instant);
}
