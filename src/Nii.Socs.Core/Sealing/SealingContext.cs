using System.Buffers.Binary;
using System.Text;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Sealing;

/// <summary>What a sealed blob is bound to (R7.1): participant, epoch, record id and canonical header bytes; the AEAD's associated data.</summary>
/// <remarks>
/// <para>Layout of the associated data: <c>"nii-socs/content/v1"</c>, participant length (1 byte) and
/// UTF-8, epoch index (8 bytes big-endian), record id (16 bytes, RFC 9562 big-endian order), then
/// <see cref="DetectionHeader.ToCanonicalBytes"/>.</para>
/// <para>Edge case: two records that differ only in one header byte (say the destination port) get
/// different contexts, so a blob sealed for one does not open for the other.</para>
/// </remarks>
internal sealed class SealingContext
{
    private static readonly byte[] s_label = "nii-socs/content/v1"u8.ToArray();
    private readonly byte[] _aad;

    private SealingContext(EpochId epoch, DetectionId record, byte[] aad)
    {
        Epoch = epoch;
        Record = record;
        _aad = aad;
    }

    /// <summary>The epoch (and so the participant) the blob belongs to.</summary>
    public EpochId Epoch { get; }

    /// <summary>The record the blob belongs to.</summary>
    public DetectionId Record { get; }

    /// <summary>The associated data bytes.</summary>
    public ReadOnlySpan<byte> AssociatedData => _aad;

    /// <summary>The context of a stored record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The context.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentException">The record's participant and its epoch's participant differ.</exception>
    /// <remarks>R7.1.</remarks>
    public static SealingContext For(DetectionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Participant != record.Epoch.Participant)
        {
            throw new ArgumentException($"The record belongs to {record.Participant} but names the epoch {record.Epoch}.", nameof(record));
        }

        return For(record.Epoch, record.Id, record.Header);
    }

    /// <summary>The context of a record about to be stored.</summary>
    /// <param name="epoch">The epoch whose key seals the content.</param>
    /// <param name="record">The record id.</param>
    /// <param name="header">The clear header.</param>
    /// <returns>The context.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="header"/> is null.</exception>
    /// <remarks>R7.1, R2.1.</remarks>
    public static SealingContext For(EpochId epoch, DetectionId record, DetectionHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return For(epoch, record, header.ToCanonicalBytes());
    }

    /// <summary>The context from already-encoded canonical header bytes.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="record">The record id.</param>
    /// <param name="canonicalHeader">The output of <see cref="DetectionHeader.ToCanonicalBytes"/>.</param>
    /// <returns>The context.</returns>
    /// <remarks>R7.1.</remarks>
    public static SealingContext For(EpochId epoch, DetectionId record, ReadOnlySpan<byte> canonicalHeader)
    {
        var prefix = PrefixOf(epoch);
        var aad = new byte[prefix.Length + 16 + canonicalHeader.Length];
        prefix.CopyTo(aad, 0);
        record.Value.TryWriteBytes(aad.AsSpan(prefix.Length, 16), bigEndian: true, out _);
        canonicalHeader.CopyTo(aad.AsSpan(prefix.Length + 16));
        return new SealingContext(epoch, record, aad);
    }

    /// <summary>The part of the associated data that is the same for every record of an epoch: label, participant and epoch index.</summary>
    /// <remarks>The record id (16 bytes) and the canonical header follow it; <see cref="EpochSealer"/> builds it once per epoch.</remarks>
    internal static byte[] PrefixOf(EpochId epoch)
    {
        var participant = Encoding.UTF8.GetBytes(epoch.Participant.Value);
        var prefix = new byte[s_label.Length + 1 + participant.Length + 8];
        var span = prefix.AsSpan();
        s_label.CopyTo(span);
        var at = s_label.Length;
        span[at++] = (byte)participant.Length;
        participant.CopyTo(span[at..]);
        at += participant.Length;
        BinaryPrimitives.WriteInt64BigEndian(span[at..], epoch.Index);
        return prefix;
    }

    /// <summary>Names the epoch and record.</summary>
    /// <returns>For example <c>u-tokyo#2921/0192…</c>.</returns>
    public override string ToString() => $"{Epoch}/{Record}";
}
