using System.Globalization;
using System.Text;
using static Nii.Socs.Host.Portal.Html;

namespace Nii.Socs.Host.Portal;

/// <summary>Charts as server-rendered SVG: no script, readable at a glance, printable; every text encoded.</summary>
/// <remarks>Each chart has a <c>role="img"</c> and an <c>aria-label</c> that says what it shows, labelled axes, and a
/// legend whose swatches use exactly the colours of the bars (one palette, <see cref="Palette"/>: Okabe–Ito, told
/// apart with colour blindness). Also used by the inspection report.</remarks>
internal static class SvgCharts
{
    /// <summary>The colours of series, in order.</summary>
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#5F5F5F"];

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Counts per day, stacked by series, with a y axis of counts and a legend.</summary>
    /// <param name="label">What the chart shows, for screen readers.</param>
    /// <param name="days">The days on the x axis, in order.</param>
    /// <param name="series">Each series' name and its count per day (same order as <paramref name="days"/>).</param>
    /// <param name="yTitle">The y axis title.</param>
    /// <param name="xTitle">The x axis title.</param>
    /// <returns>The SVG markup.</returns>
    public static string StackedBars(string label, IReadOnlyList<DateOnly> days, IReadOnlyList<(string Name, int[] Counts)> series, string yTitle, string xTitle)
    {
        const int Left = 48, Top = 10, PlotH = 160, Bottom = 44;
        var barW = Math.Clamp(560 / Math.Max(1, days.Count), 6, 28);
        var plotW = barW * Math.Max(1, days.Count);
        var legendH = 18 * ((series.Count + 2) / 3);
        var width = Left + plotW + 16;
        var height = Top + PlotH + Bottom + legendH;
        var totals = Enumerable.Range(0, days.Count).Select(i => series.Sum(s => s.Counts[i])).ToArray();
        var max = NiceMax(totals.DefaultIfEmpty(0).Max());
        var b = Open(label, width, height);
        Axes(b, Left, Top, plotW, PlotH, max, yTitle);
        for (var i = 0; i < days.Count; i++)
        {
            double y = Top + PlotH;
            for (var s = 0; s < series.Count; s++)
            {
                var count = series[s].Counts[i];
                if (count == 0)
                {
                    continue;
                }

                var h = PlotH * (double)count / max;
                y -= h;
                b.Append("<rect x=\"").Append(N(Left + i * barW + 1)).Append("\" y=\"").Append(N(y)).Append("\" width=\"").Append(N(barW - 2)).Append("\" height=\"").Append(N(h))
                    .Append("\" fill=\"").Append(Palette[s % Palette.Length]).Append("\"><title>").Append(E($"{days[i]:yyyy-MM-dd} {series[s].Name}: {count}")).Append("</title></rect>");
            }
        }

        // Day labels: at most about ten, always the first and the last.
        var step = Math.Max(1, (int)Math.Ceiling(days.Count / 10.0));
        for (var i = 0; i < days.Count; i++)
        {
            if (i % step == 0 || i == days.Count - 1)
            {
                b.Append("<text x=\"").Append(N(Left + i * barW + barW / 2.0)).Append("\" y=\"").Append(N(Top + PlotH + 14)).Append("\" text-anchor=\"middle\">")
                    .Append(days[i].ToString("MM-dd", CultureInfo.InvariantCulture)).Append("</text>");
            }
        }

        b.Append("<text x=\"").Append(N(Left + plotW / 2.0)).Append("\" y=\"").Append(N(Top + PlotH + 32)).Append("\" text-anchor=\"middle\">").Append(E(xTitle)).Append("</text>");
        Legend(b, Left, Top + PlotH + Bottom, series.Select(s => s.Name).ToList());
        return b.Append("</svg>").ToString();
    }

    /// <summary>Horizontal bars for the largest counts, labelled with the name and the count.</summary>
    /// <param name="label">What the chart shows.</param>
    /// <param name="rows">Names and counts, largest first.</param>
    /// <param name="xTitle">The count axis title.</param>
    /// <returns>The SVG markup.</returns>
    public static string TopBars(string label, IReadOnlyList<(string Name, int Count)> rows, string xTitle)
    {
        const int LabelW = 150, BarMax = 220, RowH = 20, Top = 6;
        var width = LabelW + BarMax + 60;
        var height = Top + RowH * Math.Max(1, rows.Count) + 28;
        var max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Count));
        var b = Open(label, width, height);
        for (var i = 0; i < rows.Count; i++)
        {
            var y = Top + i * RowH;
            var w = BarMax * (double)rows[i].Count / max;
            b.Append("<text x=\"").Append(LabelW - 6).Append("\" y=\"").Append(y + 14).Append("\" text-anchor=\"end\">").Append(E(rows[i].Name)).Append("</text>")
                .Append("<rect x=\"").Append(LabelW).Append("\" y=\"").Append(y + 3).Append("\" width=\"").Append(N(Math.Max(1, w))).Append("\" height=\"").Append(RowH - 6)
                .Append("\" fill=\"").Append(Palette[0]).Append("\"><title>").Append(E($"{rows[i].Name}: {rows[i].Count}")).Append("</title></rect>")
                .Append("<text x=\"").Append(N(LabelW + w + 4)).Append("\" y=\"").Append(y + 14).Append("\">").Append(rows[i].Count.ToString(CultureInfo.InvariantCulture)).Append("</text>");
        }

        b.Append("<line x1=\"").Append(LabelW).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(LabelW).Append("\" y2=\"").Append(Top + RowH * Math.Max(1, rows.Count)).Append("\" stroke=\"#57606a\"/>");
        b.Append("<text x=\"").Append(LabelW + BarMax / 2).Append("\" y=\"").Append(height - 8).Append("\" text-anchor=\"middle\">").Append(E(xTitle)).Append("</text>");
        return b.Append("</svg>").ToString();
    }

    /// <summary>Intervals on a time axis, one row each: coverage gaps against the period shown.</summary>
    /// <param name="label">What the chart shows.</param>
    /// <param name="from">The start of the axis.</param>
    /// <param name="until">The end of the axis.</param>
    /// <param name="rows">Each interval's name, start and end (null: still open, drawn to the end of the axis).</param>
    /// <param name="xTitle">The time axis title.</param>
    /// <returns>The SVG markup.</returns>
    public static string Timeline(string label, DateTimeOffset from, DateTimeOffset until, IReadOnlyList<(string Name, DateTimeOffset Start, DateTimeOffset? End)> rows, string xTitle)
    {
        const int LabelW = 170, PlotW = 520, RowH = 22, Top = 6;
        var width = LabelW + PlotW + 20;
        var height = Top + RowH * Math.Max(1, rows.Count) + 40;
        var span = Math.Max(1, (until - from).TotalSeconds);
        double X(DateTimeOffset t) => LabelW + PlotW * Math.Clamp((t - from).TotalSeconds / span, 0, 1);
        var b = Open(label, width, height);
        var plotBottom = Top + RowH * Math.Max(1, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var (name, start, end) = rows[i];
            var y = Top + i * RowH;
            var x1 = X(start);
            var x2 = Math.Max(x1 + 2, X(end ?? until));
            b.Append("<text x=\"").Append(LabelW - 6).Append("\" y=\"").Append(y + 15).Append("\" text-anchor=\"end\">").Append(E(name)).Append("</text>")
                .Append("<rect x=\"").Append(N(x1)).Append("\" y=\"").Append(y + 4).Append("\" width=\"").Append(N(x2 - x1)).Append("\" height=\"").Append(RowH - 8)
                .Append("\" fill=\"").Append(end is null ? Palette[3] : Palette[1]).Append("\"><title>").Append(E($"{name}: {Jst(start)} – {(end is { } e ? Jst(e) : "…")}")).Append("</title></rect>");
        }

        b.Append("<line x1=\"").Append(LabelW).Append("\" y1=\"").Append(plotBottom).Append("\" x2=\"").Append(LabelW + PlotW).Append("\" y2=\"").Append(plotBottom).Append("\" stroke=\"#57606a\"/>");
        for (var k = 0; k <= 4; k++)
        {
            var t = from + (until - from) * (k / 4.0);
            var x = LabelW + PlotW * k / 4.0;
            b.Append("<line x1=\"").Append(N(x)).Append("\" y1=\"").Append(plotBottom).Append("\" x2=\"").Append(N(x)).Append("\" y2=\"").Append(plotBottom + 4).Append("\" stroke=\"#57606a\"/>")
                .Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(plotBottom + 16).Append("\" text-anchor=\"").Append(k == 0 ? "start" : k == 4 ? "end" : "middle").Append("\">")
                .Append(Core.Time.Jst.ToJst(t).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)).Append("</text>");
        }

        b.Append("<text x=\"").Append(LabelW + PlotW / 2).Append("\" y=\"").Append(plotBottom + 32).Append("\" text-anchor=\"middle\">").Append(E(xTitle)).Append("</text>");
        return b.Append("</svg>").ToString();
    }

    /// <summary>A round number at or above a maximum, so the y axis ticks are whole: 1, 2, 5, 10, 20, 50, …</summary>
    public static int NiceMax(int max)
    {
        if (max <= 1)
        {
            return 1;
        }

        var magnitude = (int)Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1, 2, 5, 10 })
        {
            if (m * magnitude >= max)
            {
                return m * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static StringBuilder Open(string label, int width, int height) =>
        new StringBuilder().Append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"").Append(E(label)).Append("\" width=\"").Append(width)
            .Append("\" height=\"").Append(height).Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\"><title>").Append(E(label)).Append("</title>");

    private static void Axes(StringBuilder b, int left, int top, int plotW, int plotH, int max, string yTitle)
    {
        var ticks = max <= 5 ? max : 5;
        for (var k = 0; k <= ticks; k++)
        {
            var value = max * k / ticks;
            var y = top + plotH - plotH * (double)k / ticks;
            b.Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(N(y)).Append("\" x2=\"").Append(left + plotW).Append("\" y2=\"").Append(N(y))
                .Append("\" stroke=\"").Append(k == 0 ? "#57606a" : "#e3e7eb").Append("\"/>")
                .Append("<text x=\"").Append(left - 4).Append("\" y=\"").Append(N(y + 4)).Append("\" text-anchor=\"end\">").Append(value.ToString(CultureInfo.InvariantCulture)).Append("</text>");
        }

        b.Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(top).Append("\" x2=\"").Append(left).Append("\" y2=\"").Append(top + plotH).Append("\" stroke=\"#57606a\"/>");
        b.Append("<text transform=\"translate(12 ").Append(top + plotH / 2).Append(") rotate(-90)\" text-anchor=\"middle\">").Append(E(yTitle)).Append("</text>");
    }

    private static void Legend(StringBuilder b, int left, int top, List<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            var x = left + (i % 3) * 190;
            var y = top + (i / 3) * 18;
            b.Append("<rect x=\"").Append(x).Append("\" y=\"").Append(y).Append("\" width=\"12\" height=\"12\" fill=\"").Append(Palette[i % Palette.Length]).Append("\"/>")
                .Append("<text x=\"").Append(x + 16).Append("\" y=\"").Append(y + 10).Append("\">").Append(E(names[i])).Append("</text>");
        }
    }
}
