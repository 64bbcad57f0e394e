using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Storage.Consent;

namespace Nii.Socs.Core.Storage.Inspection;

/// <summary>Streams the consent event log under <c>&lt;data&gt;/consent/</c> one event at a time (R13.1).</summary>
/// <remarks>R13.1. Unlike <see cref="ConsentStore.Open"/> it does not fold the events into a ledger, so a log
/// whose events a ledger would refuse (a view naming an unknown grant) is still read: that event is the finding.
/// Edge case: a data directory without <c>consent/</c> yields no event and creates nothing.</remarks>
internal sealed class ConsentLogSource : IConsentEventSource
{
    private readonly string _directory;

    /// <summary>A source over a data directory's consent log.</summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <exception cref="ArgumentException"><paramref name="dataDirectory"/> is null or empty.</exception>
    public ConsentLogSource(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        _directory = Path.Combine(Path.GetFullPath(dataDirectory), ConsentStore.DirectoryName);
    }

    /// <inheritdoc/>
    public IEnumerable<ConsentEvent> ReadEvents()
    {
        if (!Directory.Exists(_directory))
        {
            yield break;
        }

        using var log = FasterLogHandle.OpenReadOnly(_directory);
        using var iterator = log.Log.Scan(log.Log.BeginAddress, log.Log.CommittedUntilAddress);
        while (iterator.GetNext(out var bytes, out var length, out _))
        {
            yield return StoredConsentEvent.Decode(bytes.AsMemory(0, length));
        }
    }
}
