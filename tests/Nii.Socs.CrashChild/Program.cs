using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;

// Ingests detections until killed. After each acknowledged batch it prints "ack <id>" per record and
// "hist <seq>" for the history entry, flushed, so the parent knows exactly what was acknowledged.
// Content is SHA-256(id) repeated to 1 KiB, so the parent can tell a whole record from a damaged one.
// "sweep <data-dir>": prints "sweeping", then runs one retention sweep under the system clock (to be killed mid-way).
if (args is ["sweep", var sweepData])
{
    using var sweepStore = DetectionStore.Open(sweepData);
    await using var sweepHistory = OperationHistoryStore.Open(sweepData);
    var sweeper = new RetentionSweeper(sweepStore, new WrappedKeyDirectory(sweepData), sweepHistory, TimeProvider.System);
    Console.Out.Write("sweeping\n");
    Console.Out.Flush();
    var report = await sweeper.SweepAsync();
    Console.Out.Write("swept " + report.Partitions.Count.ToString(CultureInfo.InvariantCulture) + "\n");
    return 0;
}

if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
{
    Console.Error.WriteLine("usage: Nii.Socs.CrashChild <data-dir> <seed> | sweep <data-dir>");
    return 2;
}

var data = args[0];
var participants = new[] { new ParticipantId("u-tokyo"), new ParticipantId("kyoto-u") };
using var store = DetectionStore.Open(data);
var history = OperationHistoryStore.Open(data, checkpointInterval: 7);
var stdout = Console.Out;
var batchNo = 0L;
var pick = new byte[4];
while (true)
{
    RandomNumberGenerator.Fill(pick);
    var size = 1 + (BitConverter.ToInt32(pick) & 0x3F);
    var now = TimeProvider.System.GetUtcNow();
    var batch = new List<DetectionRecord>(size);
    for (var i = 0; i < size; i++)
    {
        var participant = participants[(i + seed) % participants.Length];
        var observed = now.AddMilliseconds(-i);
        var id = DetectionId.New(observed);
        batch.Add(new DetectionRecord
        {
            Id = id,
            Participant = participant,
            Epoch = new EpochId(participant, 42),
            Header = new DetectionHeader
            {
                ObservedAt = observed,
                Source = IPAddress.Parse("198.51.100.7"),
                Destination = IPAddress.Parse("192.0.2.10"),
                Protocol = 6,
                SourcePort = 40000,
                DestinationPort = 443,
                CapturedLength = 1100,
                WireLength = 1100,
                ContentLength = 1024,
            },
            Rule = new RuleRef(2_100_000 + batchNo, 1, "crash test", null, 3),
            SealedContent = ContentOf(id),
        });
    }

    await store.AppendAsync(batch);
    foreach (var record in batch)
    {
        stdout.Write("ack " + record.Id + "\n");
    }

    var entry = await history.AppendAsync("system:crash-child", "crash.batch", "batch/" + batchNo.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture) + " record(s)");
    stdout.Write("hist " + entry.Sequence.ToString(CultureInfo.InvariantCulture) + "\n");
    stdout.Flush();
    batchNo++;
}

static byte[] ContentOf(DetectionId id)
{
    var hash = SHA256.HashData(id.Value.ToByteArray());
    var content = new byte[1024];
    for (var i = 0; i < content.Length; i += hash.Length)
    {
        hash.CopyTo(content, i);
    }

    return content;
}
