using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nii.Socs.Core.Inspection;

/// <summary>The machine-readable form of an <see cref="InspectionReport"/>: <c>report.json</c> (R13.1).</summary>
/// <remarks>
/// R13.1. The schema is stable: camelCase names in declaration order, instants in ISO 8601 with +09:00, dates as
/// <c>yyyy-MM-dd</c>, absent values as <c>null</c>, durations as hours with two decimals. A field's meaning only
/// changes with <see cref="InspectionReport.CurrentSchema"/>.
/// <para>Edge case: a report without findings has <c>"findings": []</c> and <c>"clean": true</c>.</para>
/// </remarks>
internal static class InspectionJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // The file is read by programs and people, never embedded in HTML: '+' in "+09:00" stays readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    /// <summary>Writes the report as indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text, ending without a newline.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <remarks>R13.1. Edge case: the same report always gives the same bytes, so a snapshot test can pin it.</remarks>
    public static string Serialize(InspectionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, s_options);
    }

    /// <summary>Reads a report written by <see cref="Serialize"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="JsonException">The text is not a report.</exception>
    /// <remarks>R13.1. Edge case: a report of another schema version reads, and its <c>Schema</c> says so.</remarks>
    public static InspectionReport Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<InspectionReport>(json, s_options) ?? throw new JsonException("The text is JSON null, not a report.");
    }
}
