using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Storage.Tests;

internal static class TestKit
{
    public static readonly ParticipantId UTokyo = new("u-tokyo");

    public static readonly ParticipantId Kyoto = new("kyoto-u");

    public static DetectionRecord Record(ParticipantId participant, DateTimeOffset observedAt, long epoch = 1, long sid = 2_100_001, string source = "198.51.100.7", string destination = "192.0.2.10", byte[]? content = null, Guid? id = null) =>
        Nii.Socs.Core.Tests.Storage.StorageTestKit.Record(participant, observedAt, epoch, sid, source, destination, content, id);
}
