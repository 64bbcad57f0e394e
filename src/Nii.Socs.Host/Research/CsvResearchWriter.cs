using System.Globalization;
using System.Text;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Writes research rows as RFC 4180 CSV (UTF-8, CRLF, header line) (R9.1).</summary>
internal sealed class CsvResearchWriter(Stream output) : IResearchRowWriter
{
    public static readonly string[] Columns =
    [
        "record", "participant", "observed_at", "source", "destination", "protocol", "source_port", "destination_port",
        "tcp_flags", "captured_length", "wire_length", "content_length", "rule_sid", "rule_rev", "rule_message",
        "rule_classtype", "rule_priority", "detection_source",
    ];

    private readonly StreamWriter _writer = new(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
    private bool _headerWritten;

    public async ValueTask WriteAsync(ResearchRow row, CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await _writer.WriteLineAsync(string.Join(',', Columns).AsMemory(), cancellationToken);
            _headerWritten = true;
        }

        var line = string.Join(',', (string[])
        [
            row.Record,
            row.Participant,
            row.ObservedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            row.Source.ToString(),
            row.Destination.ToString(),
            row.Protocol.ToString(CultureInfo.InvariantCulture),
            row.SourcePort?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            row.DestinationPort?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            row.TcpFlags?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            row.CapturedLength.ToString(CultureInfo.InvariantCulture),
            row.WireLength.ToString(CultureInfo.InvariantCulture),
            row.ContentLength.ToString(CultureInfo.InvariantCulture),
            row.RuleSid.ToString(CultureInfo.InvariantCulture),
            row.RuleRev.ToString(CultureInfo.InvariantCulture),
            Quote(row.RuleMessage),
            Quote(row.RuleClassType),
            row.RulePriority.ToString(CultureInfo.InvariantCulture),
            row.DetectionSource,
        ]);
        await _writer.WriteLineAsync(line.AsMemory(), cancellationToken);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await _writer.WriteLineAsync(string.Join(',', Columns).AsMemory(), cancellationToken);
            _headerWritten = true;
        }

        await _writer.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    internal static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
