using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Storage.Tests;

internal static class TestKit
{
    public static readonly ParticipantId UTokyo = new("u-tokyo");

    public static readonly ParticipantId Kyoto = new("kyoto-u");

    public static DetectionRecord Record(ParticipantId participant, DateTimeOffset observedAt, long epoch = 1, long sid = 2_100_001, string source = "198.51.100.7", string destination = "192.0.2.10", byte[]? content = null, Guid? id = null) => new()
    {
        Id = id is { } g ? new DetectionId(g) : DetectionId.New(observedAt),
        Participant = participant,
        Epoch = new EpochId(participant, epoch),
        Header = new DetectionHeader
        {
            ObservedAt = observedAt,
            Source = IPAddress.Parse(source),
            Destination = IPAddress.Parse(destination),
            Protocol = 6,
            SourcePort = 44321,
            DestinationPort = 22,
            TcpFlags = 0x18,
            CapturedLength = 120,
            WireLength = 120,
            ContentLength = content?.Length ?? 0,
            HeaderBytes = new byte[] { 0x45, 0x00, 0x00, 0x78 },
        },
        Rule = new RuleRef(sid, 3, "ET SCAN ssh brute force", "attempted-recon", 2),
        SealedContent = content ?? [],
    };
}
