using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Portal;

/// <summary>What the portal's handlers reach: the stores, the consent steps, the clock and the trusted CA (R4.7, R6).</summary>
/// <param name="DataDirectory">The data directory (keys live under <c>keys/</c>).</param>
/// <param name="Registry">Participants, operators and certificates.</param>
/// <param name="Detections">The detection store.</param>
/// <param name="History">The operation history (R6.4).</param>
/// <param name="Keys">Wrapped keys and commitments.</param>
/// <param name="Consent">Requests, grants, views and fault access.</param>
/// <param name="Time">The clock.</param>
/// <param name="ClientCa">The CA client certificates must chain to.</param>
/// <param name="Options">The portal's settings.</param>
internal sealed record PortalServices(
    string DataDirectory,
    RegistryStore Registry,
    DetectionStore Detections,
    OperationHistoryStore History,
    IKeyStore Keys,
    IPortalConsent Consent,
    TimeProvider Time,
    X509Certificate2 ClientCa,
    PortalOptions Options)
{
    /// <summary>The history as the append-only interface every action writes to.</summary>
    public IOperationHistory Audit => History;
}
