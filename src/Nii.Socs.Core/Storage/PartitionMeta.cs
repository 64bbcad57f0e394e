using System.Buffers.Binary;

namespace Nii.Socs.Core.Storage;

/// <summary>A partition's summary, kept beside it in <c>meta.bin</c> so that decisions about whole partitions (the
/// retention sweep, <c>store stats</c>, the cross-month duplicate check) cost the same with 10 or 10 million records.</summary>
/// <param name="Clean">Whether the figures are complete; a dirty summary says only "open the partition to know".</param>
/// <param name="Records">The committed records.</param>
/// <param name="MinObservedTicks">The earliest observation instant (UTC ticks); <see cref="long.MaxValue"/> when empty.</param>
/// <param name="MaxObservedTicks">The latest observation instant (UTC ticks); <see cref="long.MinValue"/> when empty.</param>
/// <param name="Epochs">The key epochs the records reference.</param>
/// <remarks>Format: the 8 bytes <c>SOCSPM1\n</c>, a clean byte, three little-endian int64, an int32 count and that many
/// int64 epochs. It is written to a temporary name, flushed to disk and renamed, so a reader sees the old or the new
/// file whole. It carries no header data of any record beyond the observation range, and goes with the partition.</remarks>
internal sealed record PartitionMeta(bool Clean, long Records, long MinObservedTicks, long MaxObservedTicks, IReadOnlyList<long> Epochs)
{
    public const string FileName = "meta.bin";

    private static ReadOnlySpan<byte> Magic => "SOCSPM1\n"u8;

    /// <summary>The summary that vouches for nothing.</summary>
    public static PartitionMeta Dirty { get; } = new(false, 0, long.MaxValue, long.MinValue, []);

    /// <summary>Whether a record observed at these ticks could be in the partition (always, when dirty).</summary>
    public bool MayHoldObserved(long ticks) => !Clean || (ticks >= MinObservedTicks && ticks <= MaxObservedTicks);

    /// <summary>Reads the summary of a partition directory; null when absent or unreadable (then it is as if dirty).</summary>
    public static PartitionMeta? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        const int fixedSize = 8 + 1 + 24 + 4;
        if (bytes.Length < fixedSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            return null;
        }

        var span = bytes.AsSpan(8);
        var clean = span[0] == 1;
        var records = BinaryPrimitives.ReadInt64LittleEndian(span[1..]);
        var min = BinaryPrimitives.ReadInt64LittleEndian(span[9..]);
        var max = BinaryPrimitives.ReadInt64LittleEndian(span[17..]);
        var n = BinaryPrimitives.ReadInt32LittleEndian(span[25..]);
        if (n < 0 || bytes.Length != fixedSize + ((long)n * 8) || records < 0)
        {
            return null;
        }

        var epochs = new long[n];
        for (var i = 0; i < n; i++)
        {
            epochs[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(29 + (i * 8))..]);
        }

        return new PartitionMeta(clean, records, min, max, epochs);
    }

    /// <summary>Writes the summary durably into a partition directory.</summary>
    public void Write(string directory)
    {
        var bytes = new byte[8 + 1 + 24 + 4 + (Epochs.Count * 8)];
        Magic.CopyTo(bytes);
        var span = bytes.AsSpan(8);
        span[0] = Clean ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], Records);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], MinObservedTicks);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], MaxObservedTicks);
        BinaryPrimitives.WriteInt32LittleEndian(span[25..], Epochs.Count);
        for (var i = 0; i < Epochs.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(29 + (i * 8))..], Epochs[i]);
        }

        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
