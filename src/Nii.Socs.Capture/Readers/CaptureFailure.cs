namespace Nii.Socs.Capture.Readers;

/// <summary>Why a capture file stopped yielding frames before its end, or why a block was skipped.</summary>
/// <remarks>A reader never throws on bad input (R2.1 "never an exception escaping the reader"): it
/// stops and reports one of these. <see cref="None"/> means the file ended cleanly.</remarks>
public enum CaptureFailure
{
    /// <summary>No failure: the input ended at a record boundary.</summary>
    None = 0,

    /// <summary>The first bytes are neither a pcap nor a pcapng header.</summary>
    UnknownFormat,

    /// <summary>The file header is shorter than its format requires.</summary>
    TruncatedFileHeader,

    /// <summary>The input ended inside a record or block.</summary>
    TruncatedRecord,

    /// <summary>A record or block claims a length above the reader's limit (a memory bomb, or garbage).</summary>
    RecordTooLarge,

    /// <summary>A pcapng block length is not a multiple of 4, is too small, or disagrees with its trailer.</summary>
    BadBlockLength,

    /// <summary>A pcapng packet block refers to an interface no IDB declared.</summary>
    UnknownInterface,

    /// <summary>A pcapng packet block's captured length does not fit the block.</summary>
    BadPacketLength,

    /// <summary>A pcapng section header has an unknown byte-order magic or a major version other than 1.</summary>
    BadSectionHeader,
}
