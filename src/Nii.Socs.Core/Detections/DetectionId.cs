using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Nii.Socs.Core.Detections;

/// <summary>The identifier of one stored detection: a version-7 UUID, so ids sort by acquisition time.</summary>
/// <remarks>A detection read from a file gets a deterministic id (<see cref="FromSource"/>): reading the same file again,
/// after a crash, gives the same ids, so the store and the mailer can recognise what they already hold. Live traffic
/// has no such identity and gets a fresh id (<see cref="New"/>).</remarks>
/// <param name="Value">The UUID.</param>
public readonly record struct DetectionId(Guid Value)
{
    /// <summary>Creates a fresh id ordered by <paramref name="observedAt"/>.</summary>
    /// <param name="observedAt">When the traffic was observed.</param>
    /// <returns>A new id.</returns>
    public static DetectionId New(DateTimeOffset observedAt) => new(Guid.CreateVersion7(observedAt));

    /// <summary>The id of a detection derived from where it was read: the same source always gives the same id.</summary>
    /// <param name="observedAt">When the traffic was observed; its Unix millisecond leads the id, as in <see cref="New"/>.</param>
    /// <param name="source">Bytes naming the detection's origin uniquely, such as a file's identity, the frame number, the
    /// rule's sid and the participant.</param>
    /// <returns>A version-7 UUID whose 74 random bits are the first bits of SHA-256 of <paramref name="source"/>.</returns>
    /// <remarks>
    /// Ids still sort by observation time and name their millisecond, so <c>DetectionStore.FindAsync</c> finds the
    /// partition at once. A time before 1970-01-01 is clamped to the epoch (a version-7 UUID cannot hold it).
    /// <para>Edge case: two different sources collide with probability about 2⁻⁷⁴ per pair within one millisecond.</para>
    /// </remarks>
    public static DetectionId FromSource(DateTimeOffset observedAt, ReadOnlySpan<byte> source)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(source, hash);
        var ms = Math.Max(0, observedAt.ToUnixTimeMilliseconds());
        Span<byte> bytes = stackalloc byte[16];
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, ms);
        time[2..].CopyTo(bytes);
        hash[..10].CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new DetectionId(new Guid(bytes, bigEndian: true));
    }

    /// <summary>Parses the 32-hex-digit or hyphenated form.</summary>
    /// <param name="text">The text.</param>
    /// <param name="id">The id when valid.</param>
    /// <returns>Whether the text is an id.</returns>
    public static bool TryParse(string? text, out DetectionId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new DetectionId(guid);
        return ok;
    }

    /// <summary>The id as 32 lower-case hex digits.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Value.ToString("N");
}
