namespace Nii.Socs.Core.Research;

/// <summary>How far a research export has come.</summary>
/// <param name="Rows">Rows written so far.</param>
/// <param name="Fraction">The fraction of the time range covered, 0 to 1, judged by the latest real
/// observation time seen; null when it cannot be judged.</param>
internal readonly record struct ResearchExportProgress(long Rows, double? Fraction);
