using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Nii.Socs.Capture.Readers;

/// <summary>A streaming reader of captured frames: pcap, pcapng or a live interface.</summary>
/// <remarks>
/// <para>Frames are read one at a time into a pooled buffer; a file is never loaded whole. Bad
/// input never throws: <see cref="TryReadFrame"/> returns false and <see cref="Failure"/> says why
/// (R2.1: "never an exception escaping the reader"). Only environment failures (an I/O error of
/// the stream) propagate.</para>
/// <para>Records larger than <see cref="MaxRecordLength"/> (16 MiB) stop the reader with
/// <see cref="CaptureFailure.RecordTooLarge"/>: a hostile length cannot make it allocate more.</para>
/// </remarks>
public abstract class CaptureReader : IDisposable
{
    /// <summary>The largest record or block accepted: 16 MiB.</summary>
    public const int MaxRecordLength = 16 << 20;

    private protected const long UnixEpochTicks = 621_355_968_000_000_000L;
    private const long MaxUnixSeconds = 253_402_300_799L;
    private bool _disposed;

    private protected CaptureReader()
    {
    }

    /// <summary>Why the reader stopped early; <see cref="CaptureFailure.None"/> while reading or after a clean end.</summary>
    public CaptureFailure Failure { get; private protected set; }

    /// <summary>The number of frames returned so far.</summary>
    public long FramesRead { get; private protected set; }

    /// <summary>Whether frames arrive live from an interface (they cannot wait) rather than from a file (it can).</summary>
    /// <value>False for pcap and pcapng files; true for <see cref="LiveCaptureReader"/>.</value>
    /// <remarks>R5.2: only live traffic is ever shed under load; a file reader waits for detection, so every in-scope frame of a file is examined.</remarks>
    public virtual bool IsLive => false;

    /// <summary>The number of blocks or records skipped because they were malformed (pcapng) or unknown.</summary>
    public long SkippedBlocks { get; private protected set; }

    /// <summary>Opens a pcap or pcapng stream, telling them apart by their first four bytes.</summary>
    /// <param name="stream">A readable stream positioned at the file header.</param>
    /// <param name="reader">The reader when the format is known; null otherwise.</param>
    /// <param name="failure">Why the stream cannot be read; <see cref="CaptureFailure.None"/> on success.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves the stream open.</param>
    /// <returns>Whether the stream is a capture this package reads.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <remarks>R2.1. Both pcap byte orders and µs/ns timestamps; pcapng sections of either byte order.</remarks>
    public static bool TryOpen(Stream stream, [NotNullWhen(true)] out CaptureReader? reader, out CaptureFailure failure, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var window = new StreamWindow(stream, leaveOpen);
        reader = null;
        if (!window.Ensure(4))
        {
            failure = window.Available == 0 ? CaptureFailure.UnknownFormat : CaptureFailure.TruncatedFileHeader;
            window.Dispose();
            return false;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(window.Peek(4));
        if (PcapReader.IsMagic(magic))
        {
            var pcap = new PcapReader(window);
            if (pcap.Failure != CaptureFailure.None)
            {
                failure = pcap.Failure;
                pcap.Dispose();
                return false;
            }

            reader = pcap;
        }
        else if (magic == PcapngReader.SectionHeaderType)
        {
            reader = new PcapngReader(window);
        }
        else
        {
            failure = CaptureFailure.UnknownFormat;
            window.Dispose();
            return false;
        }

        failure = CaptureFailure.None;
        return true;
    }

    /// <summary>Opens a capture file for streaming.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is neither pcap nor pcapng.</exception>
    public static CaptureReader OpenFile(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (!TryOpen(stream, out var reader, out var failure))
        {
            throw new InvalidDataException($"'{path}' is not a pcap or pcapng capture ({Describe(failure)}).");
        }

        return reader;
    }

    /// <summary>Reads the next frame.</summary>
    /// <param name="frame">The frame; its span is valid until the next call.</param>
    /// <returns>True when a frame was read; false at the end of the input or on a failure (see <see cref="Failure"/>).</returns>
    public abstract bool TryReadFrame(out CaptureFrame frame);

    /// <summary>Words for a failure, such as <c>truncated record</c>.</summary>
    /// <param name="failure">The failure.</param>
    /// <returns>The text.</returns>
    public static string Describe(CaptureFailure failure) => failure switch
    {
        CaptureFailure.None => "no failure",
        CaptureFailure.UnknownFormat => "unknown format",
        CaptureFailure.TruncatedFileHeader => "truncated file header",
        CaptureFailure.TruncatedRecord => "truncated record",
        CaptureFailure.RecordTooLarge => "record too large",
        CaptureFailure.BadBlockLength => "bad block length",
        CaptureFailure.UnknownInterface => "unknown interface",
        CaptureFailure.BadPacketLength => "bad packet length",
        CaptureFailure.BadSectionHeader => "bad section header",
        _ => failure.ToString(),
    };

    /// <summary>Releases the pooled buffer and, unless left open, the stream.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Dispose(true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Converts a count of units since the Unix epoch to an instant, clamping out-of-range values.</summary>
    internal static DateTimeOffset FromUnix(ulong units, ulong unitsPerSecond)
    {
        if (unitsPerSecond == 0)
        {
            unitsPerSecond = 1_000_000;
        }

        var seconds = units / unitsPerSecond;
        if (seconds > MaxUnixSeconds)
        {
            return DateTimeOffset.MaxValue;
        }

        var fraction = (UInt128)(units % unitsPerSecond) * 10_000_000 / unitsPerSecond;
        return new DateTimeOffset(UnixEpochTicks + ((long)seconds * 10_000_000) + (long)fraction, TimeSpan.Zero);
    }
}
