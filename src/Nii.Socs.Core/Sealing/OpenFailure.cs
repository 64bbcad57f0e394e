namespace Nii.Socs.Core.Sealing;

/// <summary>Why a sealed blob did not open: an expected "no", returned, never thrown (STYLE §4).</summary>
/// <remarks>
/// R7.1. <see cref="WrongParticipant"/> and <see cref="WrongEpoch"/> are found before any decryption,
/// from the key's own epoch. A blob moved to another record of the same epoch, or changed in any bit,
/// fails authentication: the AEAD cannot tell those two apart, so both are <see cref="NotAuthentic"/>.
/// </remarks>
public enum OpenFailure
{
    /// <summary>The blob opened.</summary>
    None = 0,

    /// <summary>The blob is shorter than its header, nonce and tag.</summary>
    Malformed = 1,

    /// <summary>The format version byte is not one this library reads.</summary>
    UnsupportedVersion = 2,

    /// <summary>The algorithm id byte names no known AEAD, or one this CPU cannot run.</summary>
    UnknownAlgorithm = 3,

    /// <summary>The key belongs to another participant than the record.</summary>
    WrongParticipant = 4,

    /// <summary>The key belongs to another epoch of the record's participant.</summary>
    WrongEpoch = 5,

    /// <summary>Authentication failed: the blob was changed, or it was sealed for another record (id or header).</summary>
    NotAuthentic = 6,
}
