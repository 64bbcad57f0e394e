using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Portal;

/// <summary>docs/portal.md, "What people see": severity words, compact JST times, decoded TCP flags, sortable and
/// paged lists that keep their filters, charts as labelled images, and print CSS.</summary>
[Collection(PortalGroup.Name)]
public sealed partial class PortalPresentationTests(PortalFixture portal)
{
    [Theory]
    [InlineData(0, 1, "高")]
    [InlineData(1, 1, "高")]
    [InlineData(2, 2, "中")]
    [InlineData(3, 3, "低")]
    [InlineData(4, 4, "情報")]
    [InlineData(9, 4, "情報")]
    public void A_rules_priority_is_shown_as_a_severity_in_Japanese_by_default(int priority, int level, string word)
    {
        var html = Html.Severity(priority);

        Assert.Contains($"class=\"sev sev{level}\"", html, StringComparison.Ordinal);
        Assert.Contains($">{word} ({priority})<", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Times_are_compact_JST_with_the_full_instant_in_the_time_element_and_TCP_flags_are_named()
    {
        Assert.Equal(
            "<time datetime=\"2026-12-01T05:00:00+09:00\">2026-12-01 05:00:00</time>",
            Html.Time(DateTimeOffset.Parse("2026-11-30T20:00:00Z", CultureInfo.InvariantCulture)));
        Assert.Equal("SYN ACK (0x12)", PortalPages.TcpFlags(0x12));
        Assert.Equal("-", PortalPages.TcpFlags(null));
    }

    [Fact]
    public void A_list_pages_50_rows_sorts_by_the_clicked_header_and_keeps_the_filters()
    {
        var rows = Enumerable.Range(1, 120).ToList();
        PortalColumn<int>[] columns = [new("n", "Number", n => $"<i>{n}</i>", n => n, "num")];
        var http = new DefaultHttpContext();
        http.Request.Path = "/detections";
        http.Request.QueryString = new QueryString("?sid=7&sort=n&dir=asc&page=2");

        var html = PortalTable.Render(http, "t", rows, columns, "n", defaultDescending: true, "none");

        Assert.Equal(Enumerable.Range(51, 50), Cells().Matches(html).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
        Assert.Contains("aria-sort=\"ascending\"", html, StringComparison.Ordinal);
        var links = Links().Matches(html).Select(m => m.Groups[1].Value.Replace("&amp;", "&", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, links.Count); // the header (to sort descending), previous, next
        Assert.All(links, l => Assert.Contains("sid=7", l, StringComparison.Ordinal));
        Assert.Contains(links, l => l.Contains("dir=desc", StringComparison.Ordinal));
        Assert.Contains(links, l => l.Contains("page=3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_detections_page_draws_labelled_charts_and_prints_without_navigation_and_a_record_shows_its_flags()
    {
        var alpha = portal.Client(portal.Operators[PortalFixture.Alpha]);
        var record = portal.Records[PortalFixture.Alpha][^1].Record;

        var list = await alpha.GetStringAsync("/detections");
        var detail = await alpha.GetStringAsync($"/detections/{record.Id}");

        Assert.Matches("<svg [^>]*role=\"img\" aria-label=\"[^\"]+\"", list);
        Assert.Matches(@"@media print\{[^}]*header nav[^}]*form[^}]*\{display:none\}", list);
        Assert.Matches(@"<time datetime=""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00"">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</time>", list);
        Assert.Contains("PSH ACK (0x18)", detail, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"<td class=""num""><i>(\d+)</i></td>")]
    private static partial Regex Cells();

    [GeneratedRegex(@"href=""([^""]*)""")]
    private static partial Regex Links();
}
