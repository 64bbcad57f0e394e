namespace Nii.Socs.Core.Research;

/// <summary>One file of a research data set, as listed in its manifest.</summary>
/// <param name="Name">The file name inside the data set's directory.</param>
/// <param name="Bytes">Its length in bytes.</param>
/// <param name="Sha256">Its SHA-256 in lower-case hex, so a recipient can check what arrived.</param>
internal sealed record ResearchFileEntry(string Name, long Bytes, string Sha256);
