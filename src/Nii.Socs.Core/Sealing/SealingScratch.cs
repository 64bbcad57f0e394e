using Nii.Socs.Core.Keys;

namespace Nii.Socs.Core.Sealing;

/// <summary>One owner's working memory for <see cref="EpochSealer"/>: its nonce block and the buffer the associated data
/// is laid out in (issue #16: the ingest consumer seals with one of these, so a record's seal touches no thread-static
/// state and allocates nothing).</summary>
/// <remarks>R7.1. Not thread-safe: one owner (one ingest consumer) seals with it at a time.</remarks>
internal sealed class SealingScratch
{
    /// <summary>Where nonces come from (OS CSPRNG, 4 KiB at a time).</summary>
    public NonceBlock Nonces { get; } = new();

    /// <summary>The associated data buffer; it starts with the epoch prefix of <see cref="PrefixFor"/>.</summary>
    internal byte[] AssociatedData { get; set; } = new byte[512];

    /// <summary>The sealer whose epoch prefix the buffer starts with, or null.</summary>
    internal EpochSealer? PrefixFor { get; set; }
}
