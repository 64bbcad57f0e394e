using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>Writes research rows into one data file of a format (R9.1).</summary>
internal interface IResearchRowWriter : IAsyncDisposable
{
    /// <summary>Appends one row.</summary>
    ValueTask WriteAsync(ResearchRow row, CancellationToken cancellationToken);

    /// <summary>Flushes everything; the file is complete afterwards.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);
}
