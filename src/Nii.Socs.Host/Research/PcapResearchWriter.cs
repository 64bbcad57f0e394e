using System.Buffers.Binary;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Writes research rows as a classic libpcap file (microsecond timestamps, LINKTYPE_ETHERNET),
/// one rebuilt header-only frame per row (R9.1, R2.1).</summary>
/// <remarks>
/// Each record's original length is the written frame plus the row's content length, so tools show the
/// frames as cut to the headers. Timestamps are the randomised times; pcap holds them as unsigned 32-bit
/// seconds since 1970, so a shifted time before 1970 or after 2106 is refused.
/// </remarks>
internal sealed class PcapResearchWriter(Stream output) : IResearchRowWriter
{
    public const uint Magic = 0xA1B2C3D4;
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const uint LinkTypeEthernet = 1;
    public const int SnapLength = 65535;

    private readonly byte[] _buffer = new byte[RecordHeaderLength + 128];
    private bool _headerWritten;

    public async ValueTask WriteAsync(ResearchRow row, CancellationToken cancellationToken)
    {
        await EnsureHeaderAsync(cancellationToken);
        var length = PcapFrame.Build(row, _buffer.AsSpan(RecordHeaderLength));
        var unixTicks = row.ObservedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = unixTicks / TimeSpan.TicksPerSecond;
        if (unixTicks < 0 || seconds > uint.MaxValue)
        {
            throw new InvalidOperationException($"The randomised time {row.ObservedAt:O} cannot be written into pcap (1970 to 2106 only).");
        }

        var header = _buffer.AsSpan(0, RecordHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(unixTicks % TimeSpan.TicksPerSecond / 10));
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)Math.Max(length, (long)length + Math.Max(0, row.ContentLength)));
        await output.WriteAsync(_buffer.AsMemory(0, RecordHeaderLength + length), cancellationToken);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await EnsureHeaderAsync(cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten)
        {
            return;
        }

        var header = new byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), LinkTypeEthernet);
        await output.WriteAsync(header, cancellationToken);
        _headerWritten = true;
    }
}
