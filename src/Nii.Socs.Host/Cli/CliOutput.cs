using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Host.Cli;

/// <summary>What every verb prints with: one instant format, one JSON writer, aligned tables (docs/cli.md).</summary>
/// <remarks>
/// Instants are ISO 8601 in JST with the offset written out (<c>2026-11-30T09:00:00+09:00</c>); a fraction of a
/// second is printed only when there is one, without trailing zeros. JSON is UTF-8, indented, with Japanese
/// unescaped, property names in snake_case, instants as strings in the same format, absent values as null.
/// </remarks>
internal static class CliOutput
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Verbs that print no data (they serve until stopped, or narrate a tour): they take no <c>--json</c>.</summary>
    /// <remarks>Every other verb takes <c>--json</c>; <c>CliJsonTests</c> enumerates the command tree and enforces it.</remarks>
    public static readonly IReadOnlySet<string> NoDataVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "demo", "serve", "portal serve",
    };

    /// <summary>The instant as ISO 8601 in JST: <c>yyyy-MM-ddTHH:mm:ss[.f…]+09:00</c>, no fractional zeros.</summary>
    public static string Instant(DateTimeOffset instant) =>
        Jst.ToJst(instant).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>A calendar date, <c>yyyy-MM-dd</c>.</summary>
    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A new <c>--json</c> option for a verb.</summary>
    public static Option<bool> JsonOption(string description = "Print JSON instead of text (schema: docs/cli.md)") => new("--json") { Description = description };

    /// <summary>An instant as a JSON string, or null.</summary>
    public static JsonNode? Json(DateTimeOffset? instant) => instant is { } i ? JsonValue.Create(Instant(i)) : null;

    /// <summary>Writes one JSON document and a newline.</summary>
    public static void WriteJson(TextWriter output, JsonNode document) => output.WriteLine(document.ToJsonString(s_json));

    /// <summary>An array of JSON strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    /// <summary>Writes rows as a table whose columns line up, counting East Asian wide characters as two columns.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="header">The column names.</param>
    /// <param name="rows">The rows, as many cells as the header.</param>
    /// <param name="rightAligned">Which columns are numbers and align right; null for none.</param>
    public static void WriteTable(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IReadOnlySet<int>? rightAligned = null)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = new int[header.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], TextWidth.Of(row[i]));
            }
        }

        var line = new StringBuilder();
        foreach (var row in all)
        {
            line.Clear();
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = row[i];
                var pad = new string(' ', widths[i] - TextWidth.Of(cell));
                var last = i == widths.Length - 1;
                if (rightAligned?.Contains(i) == true)
                {
                    line.Append(pad).Append(cell);
                }
                else
                {
                    line.Append(cell);
                    if (!last)
                    {
                        line.Append(pad);
                    }
                }

                if (!last)
                {
                    line.Append("  ");
                }
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }
}
