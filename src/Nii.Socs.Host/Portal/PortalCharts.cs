using System.Text;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Storage;
using static Nii.Socs.Host.Portal.PortalText;

namespace Nii.Socs.Host.Portal;

/// <summary>The pictures of the portal's pages: what the data looks like over time, drawn by <see cref="SvgCharts"/>.</summary>
internal static class PortalCharts
{
    /// <summary>The days a chart covers.</summary>
    public const int Days = 30;

    /// <summary>Detections per day stacked by rule class, and the top sources and destinations, over the 30 JST days
    /// that end with the newest detection (header fields only).</summary>
    public static async Task<string> DetectionsAsync(PortalServices services, ParticipantId participant, CancellationToken cancellationToken)
    {
        var months = services.Detections.Partitions().Where(p => p.Participant == participant).Select(p => p.Month).ToList();
        if (months.Count == 0)
        {
            return string.Empty;
        }

        var query = new DetectionQuery { Participant = participant, From = months.Min().Start, To = months.Max().Plus(1).Start, Limit = 1 };
        var newest = (await services.Detections.QueryAsync(query, cancellationToken)).Records;
        if (newest.Count == 0)
        {
            return string.Empty;
        }

        var lastDay = Core.Time.Jst.DateOf(newest[0].Header.ObservedAt);
        var firstDay = lastDay.AddDays(-(Days - 1));
        var page = await services.Detections.QueryAsync(query with { From = Core.Time.Jst.At(firstDay), Limit = DetectionQuery.MaxLimit }, cancellationToken);
        return Detections(page.Records, firstDay, lastDay);
    }

    /// <summary>The detection charts of some records over [first, last] (JST days).</summary>
    public static string Detections(IReadOnlyList<DetectionRecord> records, DateOnly first, DateOnly last)
    {
        var days = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(first.AddDays).ToList();
        var classes = records.GroupBy(r => r.Rule.ClassType ?? "-").OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        if (classes.Count > SvgCharts.Palette.Length)
        {
            // The rarest classes share the last colour as "other".
            classes = [.. classes.Take(SvgCharts.Palette.Length - 1), "other"];
        }

        var series = classes.Select(c => (Name: c, Counts: new int[days.Count])).ToList();
        foreach (var r in records)
        {
            var day = Core.Time.Jst.DateOf(r.Header.ObservedAt).DayNumber - first.DayNumber;
            if (day < 0 || day >= days.Count)
            {
                continue;
            }

            var index = classes.IndexOf(r.Rule.ClassType ?? "-");
            series[index < 0 ? classes.Count - 1 : index].Counts[day]++;
        }

        var b = new StringBuilder("<section class=\"charts\" aria-label=\"").Append(Html.E(T("Charts"))).Append("\">");
        Figure(b, T("Detections per day (JST), by rule class"), SvgCharts.StackedBars(T("Detections per day (JST), by rule class"), days, series, T("Detections"), "JST"));
        Figure(b, T("Top sources"), SvgCharts.TopBars(T("Top sources"), Top(records.Select(r => r.Header.Source.ToString())), T("Detections")));
        Figure(b, T("Top destinations"), SvgCharts.TopBars(T("Top destinations"), Top(records.Select(r => r.Header.Destination.ToString())), T("Detections")));
        return b.Append("</section>").ToString();
    }

    /// <summary>Coverage gaps on a timeline from the earliest gap (or 30 days ago) to now.</summary>
    public static string Coverage(IReadOnlyList<ExclusionEntry> gaps, DateTimeOffset now)
    {
        if (gaps.Count == 0)
        {
            return string.Empty;
        }

        var from = gaps.Min(g => g.From).AddHours(-1);
        var until = new[] { now }.Concat(gaps.Select(g => g.EndedAt ?? g.Until ?? now)).Max();
        var rows = gaps.OrderBy(g => g.From).Select(g => (Name: string.Join(", ", g.Prefixes), Start: g.From, End: g.EndedAt ?? g.Until)).ToList();
        var b = new StringBuilder("<section class=\"charts\">");
        Figure(b, T("Coverage gaps on a timeline"), SvgCharts.Timeline(T("Coverage gaps on a timeline"), from, until, rows, "JST"));
        return b.Append("</section>").ToString();
    }

    /// <summary>Operations per day over the 30 JST days ending with the newest entry shown.</summary>
    public static string History(IReadOnlyList<OperationEntry> entries)
    {
        if (entries.Count == 0)
        {
            return string.Empty;
        }

        var last = Core.Time.Jst.DateOf(entries.Max(e => e.At));
        var first = last.AddDays(-(Days - 1));
        var days = Enumerable.Range(0, Days).Select(first.AddDays).ToList();
        var counts = new int[Days];
        foreach (var e in entries)
        {
            var day = Core.Time.Jst.DateOf(e.At).DayNumber - first.DayNumber;
            if (day >= 0 && day < Days)
            {
                counts[day]++;
            }
        }

        var b = new StringBuilder("<section class=\"charts\">");
        Figure(b, T("Operations per day (JST)"), SvgCharts.StackedBars(T("Operations per day (JST)"), days, [(T("Operation"), counts)], T("Operation"), "JST"));
        return b.Append("</section>").ToString();
    }

    private static List<(string Name, int Count)> Top(IEnumerable<string> values) =>
        [.. values.GroupBy(v => v, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal).Take(8)];

    private static void Figure(StringBuilder b, string caption, string svg) =>
        b.Append("<figure><figcaption>").Append(Html.E(caption)).Append("</figcaption>").Append(svg).Append("</figure>");
}
