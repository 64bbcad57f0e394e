using Nii.Socs.Core.Consent;

namespace Nii.Socs.Core.Storage.Inspection;

/// <summary>Where an inspection reads the consent log from (R7.2, R8.5, R8.6, R13.1).</summary>
/// <remarks>R13.1. The events come in log order; the reader may stream them from disk.
/// Edge case: a data directory without a consent log has no source, and the consent section is empty.</remarks>
internal interface IConsentEventSource
{
    /// <summary>Every consent event, in log order.</summary>
    /// <returns>The events, read lazily.</returns>
    IEnumerable<ConsentEvent> ReadEvents();
}
