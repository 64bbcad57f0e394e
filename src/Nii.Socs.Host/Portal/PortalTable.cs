using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using static Nii.Socs.Host.Portal.Html;
using static Nii.Socs.Host.Portal.PortalText;

namespace Nii.Socs.Host.Portal;

/// <summary>One column of a <see cref="PortalTable"/>: its header, its cell markup, and how it sorts (null: it does not).</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Key">The <c>sort=</c> value.</param>
/// <param name="Header">The header text (English; translated when shown).</param>
/// <param name="Cell">The cell's markup, already encoded.</param>
/// <param name="SortKey">The value rows sort by; null when the column does not sort.</param>
/// <param name="Css">A class for the cells, such as <c>num</c> or <c>time</c>.</param>
internal sealed record PortalColumn<T>(string Key, string Header, Func<T, string> Cell, Func<T, IComparable?>? SortKey = null, string? Css = null);

/// <summary>Lists as the portal shows them: sortable by clicking a header (<c>?sort=KEY&amp;dir=asc|desc</c>) and
/// paged (<c>?page=N</c>), with no script; the other query parameters (filters) are kept in every link.</summary>
internal static class PortalTable
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 50;

    /// <summary>Renders a sorted page of rows with headers that sort and a pager.</summary>
    /// <typeparam name="TRow">The row type.</typeparam>
    /// <param name="http">The request, for its query.</param>
    /// <param name="id">The table's id.</param>
    /// <param name="rows">All rows.</param>
    /// <param name="columns">The columns.</param>
    /// <param name="defaultSort">The column sorted by when the query names none.</param>
    /// <param name="defaultDescending">Whether the default order is descending.</param>
    /// <param name="empty">What to say when there are no rows (English; translated).</param>
    /// <param name="paged">False to show every row (the caller pages some other way).</param>
    /// <returns>The markup.</returns>
    public static string Render<TRow>(HttpContext http, string id, IReadOnlyList<TRow> rows, IReadOnlyList<PortalColumn<TRow>> columns, string defaultSort, bool defaultDescending, string empty, bool paged = true)
    {
        var query = http.Request.Query;
        var sortKey = columns.FirstOrDefault(c => c.SortKey is not null && c.Key == query["sort"].ToString())?.Key ?? defaultSort;
        var descending = query["dir"].ToString() switch { "asc" => false, "desc" => true, _ => sortKey == defaultSort ? defaultDescending : false };
        var column = columns.First(c => c.Key == sortKey);
        IEnumerable<TRow> ordered = rows;
        if (column.SortKey is { } key)
        {
            ordered = descending ? rows.OrderByDescending(key, Comparer<IComparable?>.Default) : rows.OrderBy(key, Comparer<IComparable?>.Default);
        }

        var pages = paged ? Math.Max(1, (rows.Count + PageSize - 1) / PageSize) : 1;
        var page = paged && int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, pages) : 1;
        var shown = paged ? ordered.Skip((page - 1) * PageSize).Take(PageSize).ToList() : ordered.ToList();

        var b = new StringBuilder();
        b.Append("<table id=\"").Append(E(id)).Append("\"><thead><tr>");
        foreach (var c in columns)
        {
            var header = E(T(c.Header));
            if (c.SortKey is null)
            {
                b.Append("<th scope=\"col\">").Append(header).Append("</th>");
                continue;
            }

            var active = c.Key == sortKey;
            var nextDir = active && !descending ? "desc" : "asc";
            b.Append("<th scope=\"col\"").Append(active ? $" aria-sort=\"{(descending ? "descending" : "ascending")}\"" : string.Empty).Append("><a class=\"sort\" href=\"")
                .Append(E(Link(http, ("sort", c.Key), ("dir", nextDir), ("page", null)))).Append("\" title=\"").Append(E(T("Sort by {0}", T(c.Header)))).Append("\">")
                .Append(header).Append(active ? (descending ? " ▼" : " ▲") : string.Empty).Append("</a></th>");
        }

        b.Append("</tr></thead><tbody>");
        foreach (var row in shown)
        {
            b.Append("<tr>");
            foreach (var c in columns)
            {
                b.Append(c.Css is null ? "<td>" : $"<td class=\"{c.Css}\">").Append(c.Cell(row)).Append("</td>");
            }

            b.Append("</tr>");
        }

        b.Append("</tbody></table>");
        if (rows.Count == 0)
        {
            b.Append("<p class=\"empty\">").Append(E(T(empty))).Append("</p>");
        }

        if (paged && rows.Count > 0)
        {
            b.Append("<nav class=\"pager\" aria-label=\"").Append(E(T("Page {0} of {1}", page, pages))).Append("\">");
            if (page > 1)
            {
                b.Append("<a rel=\"prev\" href=\"").Append(E(Link(http, ("page", (page - 1).ToString(CultureInfo.InvariantCulture))))).Append("\">← ").Append(E(T("Previous"))).Append("</a>");
            }

            b.Append("<span>").Append(E(T("Page {0} of {1}", page, pages))).Append(" · ").Append(E(T("{0} items", rows.Count))).Append("</span>");
            if (page < pages)
            {
                b.Append("<a rel=\"next\" href=\"").Append(E(Link(http, ("page", (page + 1).ToString(CultureInfo.InvariantCulture))))).Append("\">").Append(E(T("Next"))).Append(" →</a>");
            }

            b.Append("</nav>");
        }

        return b.ToString();
    }

    /// <summary>The current path with some query parameters replaced (null removes one), the others kept.</summary>
    public static string Link(HttpContext http, params (string Name, string? Value)[] changes)
    {
        var values = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                values.Remove(name);
            }
            else
            {
                values[name] = value;
            }
        }

        var query = string.Join('&', values.Where(v => v.Value.Length > 0).Select(v => U(v.Key) + "=" + U(v.Value)));
        return http.Request.Path + (query.Length == 0 ? string.Empty : "?" + query);
    }
}
