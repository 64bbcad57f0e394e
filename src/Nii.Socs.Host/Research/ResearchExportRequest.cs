using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>What one research export is asked to produce (R9.1).</summary>
/// <param name="Recipient">The registered recipient (Art. 9).</param>
/// <param name="From">Inclusive start of the real acquisition range.</param>
/// <param name="To">Exclusive end of the real acquisition range.</param>
/// <param name="Format">The file format.</param>
/// <param name="Time">The time randomisation settings.</param>
/// <param name="DataSetId">The data set's identifier.</param>
/// <param name="CreatedAt">When the export is made.</param>
/// <param name="OutputDirectory">Where the data set goes; must not exist or be empty.</param>
internal sealed record ResearchExportRequest(
    ResearchRecipient Recipient,
    DateTimeOffset From,
    DateTimeOffset To,
    ResearchFormat Format,
    TimeRandomization Time,
    string DataSetId,
    DateTimeOffset CreatedAt,
    string OutputDirectory);
