using System.Net;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>A temporary data directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("socs-storage-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

internal static class StorageTestKit
{
    public static readonly ParticipantId UTokyo = new("u-tokyo");

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

    /// <summary>Whether any file under a directory contains the marker bytes.</summary>
    public static List<string> FilesContaining(string root, byte[] marker)
    {
        var hits = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException) when (file.Contains("log-commits", StringComparison.Ordinal))
            {
                // FASTER replaces a log's commit records as it commits (seen once just after a sweep): one removed
                // between listing and reading holds nothing any more.
                continue;
            }

            if (bytes.AsSpan().IndexOf(marker) >= 0)
            {
                hits.Add(file);
            }
        }

        return hits;
    }
}
