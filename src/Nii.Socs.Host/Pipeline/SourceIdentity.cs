using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The identity of an input file, from which every record read from it gets a deterministic id (idempotent ingestion).</summary>
/// <remarks>
/// The identity is SHA-256 over the file's length, its first MiB and its last MiB: a capture's first frames carry their
/// timestamps, so two different sensor files do not share it, while the same file under another name, or ingested
/// again after a crash, does. Reading 2 MiB costs milliseconds whatever the file's size (a whole-file hash of a 10 GB
/// capture would read it twice).
/// <para>A record's id is then <see cref="DetectionId.FromSource"/> of (identity, frame number or EVE line, sid,
/// participant): a detection (frame × rule) is stored once per participant it concerns.</para>
/// </remarks>
internal sealed class SourceIdentity
{
    /// <summary>How much of each end of the file is hashed.</summary>
    internal const int EdgeBytes = 1 << 20;

    private readonly byte[] _digest;

    private SourceIdentity(byte[] digest) => _digest = digest;

    /// <summary>The identity of a file as it is now.</summary>
    public static SourceIdentity OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var length = stream.Length;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(prefix, length);
        hash.AppendData(prefix);
        var buffer = new byte[EdgeBytes];
        var head = (int)Math.Min(length, EdgeBytes);
        stream.ReadExactly(buffer, 0, head);
        hash.AppendData(buffer, 0, head);
        if (length > EdgeBytes)
        {
            var tail = (int)Math.Min(length - EdgeBytes, EdgeBytes);
            stream.Position = length - tail;
            stream.ReadExactly(buffer, 0, tail);
            hash.AppendData(buffer, 0, tail);
        }

        return new SourceIdentity(hash.GetHashAndReset());
    }

    /// <summary>The id of one record read from this source.</summary>
    public DetectionId IdOf(CaptureDetection detection, ParticipantId participant)
    {
        var name = Encoding.UTF8.GetBytes(participant.Value);
        var source = new byte[_digest.Length + 16 + name.Length];
        _digest.CopyTo(source, 0);
        BinaryPrimitives.WriteInt64BigEndian(source.AsSpan(_digest.Length), detection.Frame);
        BinaryPrimitives.WriteInt64BigEndian(source.AsSpan(_digest.Length + 8), detection.Rule.Sid);
        name.CopyTo(source, _digest.Length + 16);
        return DetectionId.FromSource(detection.Header.ObservedAt, source);
    }

    /// <summary>The identity in hex, for the history.</summary>
    public override string ToString() => Convert.ToHexStringLower(_digest.AsSpan(0, 8));
}
