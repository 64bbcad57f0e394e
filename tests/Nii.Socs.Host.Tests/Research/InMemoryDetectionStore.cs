using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Tests.Research;

/// <summary>A real in-memory detection store for the export: records kept sorted by acquisition time,
/// read back by half-open range.</summary>
internal sealed class InMemoryDetectionStore : IDetectionRangeReader
{
    private readonly List<DetectionRecord> _records = [];

    public int Reads { get; private set; }

    public void Add(DetectionRecord record)
    {
        var index = _records.FindLastIndex(r => r.AcquiredAt <= record.AcquiredAt);
        _records.Insert(index + 1, record);
    }

    public async IAsyncEnumerable<DetectionRecord> ReadRangeAsync(DateTimeOffset start, DateTimeOffset until, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Reads++;
        foreach (var record in _records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (record.AcquiredAt >= start && record.AcquiredAt < until)
            {
                yield return record;
            }
        }

        await Task.CompletedTask;
    }

    public static DetectionRecord Record(string participant, string message, DateTimeOffset at, string source, string destination, byte protocol = 6) => new()
    {
        Id = DetectionId.New(at),
        Participant = new ParticipantId(participant),
        Epoch = new EpochId(new ParticipantId(participant), 987654321),
        Header = new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse(source),
            Destination = IPAddress.Parse(destination),
            Protocol = protocol,
            SourcePort = protocol is 6 or 17 ? (ushort)51515 : null,
            DestinationPort = protocol is 6 or 17 ? (ushort)443 : null,
            TcpFlags = protocol == 6 ? (byte)0x12 : null,
            CapturedLength = 1514,
            WireLength = 1514,
            ContentLength = 1460,
            HeaderBytes = Encoding.ASCII.GetBytes("RAW-HEADER-WITH-MAC"),
        },
        Rule = new RuleRef(2100498, 7, message, "attempted-recon", 2),
        SealedContent = Encoding.ASCII.GetBytes("SEALED-CONTENT"),
    };
}
