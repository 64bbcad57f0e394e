using Nii.Socs.Core.Research;
using Parquet;
using Parquet.Schema;

namespace Nii.Socs.Host.Research;

/// <summary>Writes research rows as Apache Parquet through Parquet.Net, in row groups of
/// <see cref="RowGroupSize"/> rows (R9.1).</summary>
internal sealed class ParquetResearchWriter : IResearchRowWriter
{
    public const int RowGroupSize = 100_000;

    public static readonly DataField<string> Record = new("record");
    public static readonly DataField<string> Participant = new("participant");
    public static readonly DataField<DateTime> ObservedAt = new("observed_at");
    public static readonly DataField<string> Source = new("source");
    public static readonly DataField<string> Destination = new("destination");
    public static readonly DataField<int> Protocol = new("protocol");
    public static readonly DataField<int?> SourcePort = new("source_port");
    public static readonly DataField<int?> DestinationPort = new("destination_port");
    public static readonly DataField<int?> TcpFlags = new("tcp_flags");
    public static readonly DataField<int> CapturedLength = new("captured_length");
    public static readonly DataField<int> WireLength = new("wire_length");
    public static readonly DataField<int> ContentLength = new("content_length");
    public static readonly DataField<long> RuleSid = new("rule_sid");
    public static readonly DataField<int> RuleRev = new("rule_rev");
    public static readonly DataField<string> RuleMessage = new("rule_message");
    public static readonly DataField<string> RuleClassType = new("rule_classtype");
    public static readonly DataField<int> RulePriority = new("rule_priority");
    public static readonly DataField<string> DetectionSource = new("detection_source");

    public static readonly ParquetSchema Schema = new(
        Record, Participant, ObservedAt, Source, Destination, Protocol, SourcePort, DestinationPort, TcpFlags,
        CapturedLength, WireLength, ContentLength, RuleSid, RuleRev, RuleMessage, RuleClassType, RulePriority, DetectionSource);

    private readonly Stream _output;
    private readonly ParquetOptions _options;
    private readonly List<ResearchRow> _pending = new(1024);
    private ParquetWriter? _writer;

    public ParquetResearchWriter(Stream output, CompressionMethod compression = CompressionMethod.Snappy)
    {
        _output = output;
        _options = new ParquetOptions { CompressionMethod = compression };
    }

    public async ValueTask WriteAsync(ResearchRow row, CancellationToken cancellationToken)
    {
        _pending.Add(row);
        if (_pending.Count >= RowGroupSize)
        {
            await FlushAsync(cancellationToken);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count > 0 || _writer is null)
        {
            await FlushAsync(cancellationToken);
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
            _writer = null;
        }

        await _output.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
            _writer = null;
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        _writer ??= await ParquetWriter.CreateAsync(Schema, _output, _options, false, cancellationToken);
        var rows = _pending;
        using (var group = _writer.CreateRowGroup())
        {
            await group.WriteAsync(Record, Strings(rows, r => r.Record));
            await group.WriteAsync(Participant, Strings(rows, r => r.Participant));
            await group.WriteAsync<DateTime>(ObservedAt, Values(rows, r => r.ObservedAt.UtcDateTime), cancellationToken: cancellationToken);
            await group.WriteAsync(Source, Strings(rows, r => r.Source.ToString()));
            await group.WriteAsync(Destination, Strings(rows, r => r.Destination.ToString()));
            await group.WriteAsync<int>(Protocol, Values(rows, r => (int)r.Protocol), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(SourcePort, Values(rows, r => (int?)r.SourcePort), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(DestinationPort, Values(rows, r => (int?)r.DestinationPort), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(TcpFlags, Values(rows, r => (int?)r.TcpFlags), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(CapturedLength, Values(rows, r => r.CapturedLength), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(WireLength, Values(rows, r => r.WireLength), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(ContentLength, Values(rows, r => r.ContentLength), cancellationToken: cancellationToken);
            await group.WriteAsync<long>(RuleSid, Values(rows, r => r.RuleSid), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(RuleRev, Values(rows, r => r.RuleRev), cancellationToken: cancellationToken);
            await group.WriteAsync(RuleMessage, Strings(rows, r => r.RuleMessage));
            await group.WriteAsync(RuleClassType, Strings(rows, r => r.RuleClassType));
            await group.WriteAsync<int>(RulePriority, Values(rows, r => r.RulePriority), cancellationToken: cancellationToken);
            await group.WriteAsync(DetectionSource, Strings(rows, r => r.DetectionSource));
        }

        _pending.Clear();
    }

    private static string[] Strings(List<ResearchRow> rows, Func<ResearchRow, string> select)
    {
        var values = new string[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = select(rows[i]);
        }

        return values;
    }

    private static ReadOnlyMemory<T> Values<T>(List<ResearchRow> rows, Func<ResearchRow, T> select)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = select(rows[i]);
        }

        return values;
    }
}
